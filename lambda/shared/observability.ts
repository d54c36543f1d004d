/**
 * Names the handlers' telemetry shares with the infrastructure that reads it, here so both sides take
 * them from one place (no runtime dependencies: lib/ imports this while synthesizing).
 */

/** The CloudWatch Metrics namespace every handler publishes to and the alarms watch (lib/alarms.ts). */
export const METRICS_NAMESPACE = 'ImageRecognition';

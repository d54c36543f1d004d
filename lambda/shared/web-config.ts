/**
 * The web app's runtime configuration: what `config.json` (next to index.html) holds. One build of
 * the app serves the deployed stack and the local cloud; this file says what each writes for it:
 * lib/web-hosting.ts at deploy time (cognito), local/web-config.ts for the local cloud (local), and
 * web/src/config.ts reads and checks it. Types and constants only, like api.ts.
 */
import type { WorkflowGraph } from './workflow';

/** Where the app fetches its configuration, relative to its own URL. */
export const WEB_CONFIG_FILE = 'config.json';

interface CommonConfig {
  /** The photo API's base URL; relative ("/api") or absolute. */
  apiUrl: string;
  /**
   * The ImageProc state machine's graph (lib/workflow-graph.ts), made from the definition that runs:
   * the app draws each photo's path on it.
   */
  workflow: WorkflowGraph;
}

/** Deployed: sign-in through Cognito's managed login (PKCE). */
export interface CognitoConfig extends CommonConfig {
  mode: 'cognito';
  region: string;
  userPoolId: string;
  clientId: string;
  /** The Cognito managed login base URL, https://<prefix>.auth.<region>.amazoncognito.com */
  cognitoDomain: string;
  redirectUri: string;
}

/** The local cloud: one local user, signed in already. */
export interface LocalConfig extends CommonConfig {
  mode: 'local';
  user: string;
}

export type AppConfig = CognitoConfig | LocalConfig;

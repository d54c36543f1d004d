/**
 * The web app's Content-Security-Policy, one definition for both clouds: CloudFront sends it on AWS
 * (lib/web-hosting.ts) and the local gateway sends it with the app (local/api-gateway.ts). No CDK
 * imports: values may be CDK token strings, which CloudFormation resolves at deploy time.
 */

/** Where the web app reaches beyond its own origin. */
export interface WebAppOrigins {
  /** The photo API, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com; omit when the API is on the app's own origin. */
  readonly apiOrigin?: string;
  /** The Cognito managed login domain (the app fetches tokens from it); omit when there is no Cognito. */
  readonly cognitoOrigin?: string;
  /**
   * PhotoRepo as presigned URLs address it: thumbnails and originals are shown from it, uploads POST
   * to it. Omit only where there is no bucket to reach (an API-only local gateway).
   */
  readonly photoBucketOrigin?: string;
}

/**
 * A strict policy: scripts and styles only from the app's own files (no inline script or style, no
 * eval), images also from PhotoRepo, network requests only to the API, Cognito and PhotoRepo; no
 * plugins, no `<base>` elsewhere, no form submissions (the app's one form is handled in script; sign-in
 * is a redirect, which CSP does not govern) and no framing.
 */
export function webAppContentSecurityPolicy(origins: WebAppOrigins): string {
  const { apiOrigin, cognitoOrigin, photoBucketOrigin } = origins;
  for (const [name, value] of Object.entries(origins)) {
    // A space, ';' or ',' would add sources or directives of its own (token strings have none).
    if (value !== undefined && !/^[^\s;,'"]+$/.test(value)) {
      throw new Error(
        `webAppContentSecurityPolicy: ${name} "${value}" must be one origin, like https://example.com`,
      );
    }
  }
  const sources = (...values: (string | undefined)[]) =>
    [...new Set(values.filter((value): value is string => Boolean(value)))].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${sources("'self'", 'data:', 'blob:', photoBucketOrigin)}`,
    `connect-src ${sources("'self'", apiOrigin, cognitoOrigin, photoBucketOrigin)}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The web app's Content-Security-Policy, as CloudFront and the local gateway both send it. */
import { describe, expect, it } from 'vitest';
import { webAppContentSecurityPolicy } from '../../lib/content-security-policy';

describe('webAppContentSecurityPolicy', () => {
  it('names the API, Cognito and PhotoRepo where the app needs them, and nothing inline', () => {
    const csp = webAppContentSecurityPolicy({
      apiOrigin: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      cognitoOrigin: 'https://photos.auth.eu-west-1.amazoncognito.com',
      photoBucketOrigin: 'https://photo-repo.s3.eu-west-1.amazonaws.com',
    });

    expect(csp.split('; ')).toEqual([
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob: https://photo-repo.s3.eu-west-1.amazonaws.com",
      "connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com https://photos.auth.eu-west-1.amazoncognito.com https://photo-repo.s3.eu-west-1.amazonaws.com",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
  });

  it('leaves out what the local cloud does not have and names an origin once', () => {
    const csp = webAppContentSecurityPolicy({
      apiOrigin: 'http://127.0.0.1:4601',
      photoBucketOrigin: 'http://127.0.0.1:4601',
    });

    expect(csp).toContain("connect-src 'self' http://127.0.0.1:4601;");
    expect(csp).not.toContain('undefined');
  });

  it.each([
    ['a second source', 'https://a.example https://evil.example'],
    ['a directive of its own', "https://a.example; script-src 'unsafe-inline'"],
    ['a keyword', "'unsafe-eval'"],
  ])('fails when an origin smuggles in %s', (_what, photoBucketOrigin) => {
    expect(() => webAppContentSecurityPolicy({ photoBucketOrigin })).toThrow(
      /photoBucketOrigin .* must be one origin/,
    );
  });
});

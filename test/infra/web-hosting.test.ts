import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveIntrinsics } from '../../local/cfn-intrinsics';
import { logicalId, synthTemplate } from './synth';

describe('web hosting', () => {
  const template = synthTemplate();
  const siteId = logicalId(template, 'AWS::S3::Bucket', 'WebSite');
  const distributionId = logicalId(template, 'AWS::CloudFront::Distribution', 'WebDistribution');
  const distribution = () =>
    template.findResources('AWS::CloudFront::Distribution')[distributionId].Properties.DistributionConfig;

  it('keeps the site bucket private', () => {
    const site = template.findResources('AWS::S3::Bucket')[siteId];
    expect(site.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(site.Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('serves the bucket through CloudFront with Origin Access Control, not a public origin', () => {
    const [origin] = distribution().Origins;
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(origin.OriginAccessControlId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^WebDistributionOrigin1S3OriginAccessControl/), 'Id'],
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
  });

  it('lets only this distribution read the site bucket', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: siteId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Action: 's3:GetObject',
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('redirects HTTP to HTTPS', () => {
    expect(distribution().DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('writes the runtime config.json with the API URL, user pool and client at deploy time', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: siteId },
      SourceMarkersConfig: Match.arrayWith([Match.objectLike({ jsonEscape: true })]),
    });
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    const markers = JSON.stringify(deployment.Properties.SourceMarkers);
    expect(markers).toContain(logicalId(template, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi'));
    expect(markers).toContain(logicalId(template, 'AWS::Cognito::UserPool', 'ApiUserPool'));
    expect(markers).toContain(logicalId(template, 'AWS::Cognito::UserPoolClient', 'ApiUserPoolWebClient'));
  });

  it('lets browsers POST uploads to PhotoRepo only from the web app origin', () => {
    const photoRepo =
      template.findResources('AWS::S3::Bucket')[logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo')];
    expect(photoRepo.Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({
        AllowedMethods: ['POST'],
        AllowedOrigins: [
          { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
        ],
      }),
    ]);
  });

  it('uses the web app origin for the API CORS and the sign-in callback', () => {
    const origin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] };
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: [origin] }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: [
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']] },
      ],
    });
  });

  describe('response headers', () => {
    const policyId = logicalId(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'WebSecurityHeaders');
    const headers = () =>
      template.findResources('AWS::CloudFront::ResponseHeadersPolicy')[policyId].Properties
        .ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    /** The CSP as CloudFront sends it, with deploy-time values named after what they stand for. */
    const csp = () =>
      resolveIntrinsics(headers().ContentSecurityPolicy.ContentSecurityPolicy, {
        ref: (name) => `<${name}>`,
        getAtt: (id, attribute) => `<${id}.${attribute}>`,
      }) as string;
    const directive = (name: string) =>
      csp()
        .split('; ')
        .find((d) => d.startsWith(`${name} `));

    it('answers every request with its own policy, not the managed one', () => {
      expect(distribution().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    });

    it('keeps HSTS, nosniff, frame denial and the referrer policy', () => {
      expect(headers()).toMatchObject({
        StrictTransportSecurity: {
          AccessControlMaxAgeSec: 31_536_000,
          IncludeSubdomains: true,
          Override: true,
        },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
      });
      expect(headers().ContentSecurityPolicy.Override).toBe(true);
    });

    it('allows scripts and styles only from the app itself', () => {
      expect(directive('default-src')).toBe("default-src 'self'");
      expect(directive('script-src')).toBe("script-src 'self'");
      expect(directive('style-src')).toBe("style-src 'self'");
      expect(csp()).not.toContain('unsafe-');
    });

    it('forbids plugins, framing, form posts and foreign base URLs', () => {
      expect(directive('object-src')).toBe("object-src 'none'");
      expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
      expect(directive('form-action')).toBe("form-action 'none'");
      expect(directive('base-uri')).toBe("base-uri 'self'");
    });

    it("shows images from PhotoRepo's regional S3 domain", () => {
      expect(directive('img-src')).toBe(
        "img-src 'self' data: blob: https://*.s3.<AWS::Region>.<AWS::URLSuffix>",
      );
    });

    it('connects only to the API, the Cognito domain and PhotoRepo', () => {
      const domainId = logicalId(template, 'AWS::Cognito::UserPoolDomain', 'ApiUserPoolDomain');
      expect(directive('connect-src')).toBe(
        [
          "connect-src 'self'",
          'https://*.execute-api.<AWS::Region>.<AWS::URLSuffix>',
          `https://<${domainId}>.auth.<AWS::Region>.amazoncognito.com`,
          'https://*.s3.<AWS::Region>.<AWS::URLSuffix>',
        ].join(' '),
      );
    });
  });
});

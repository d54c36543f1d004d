import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
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
});

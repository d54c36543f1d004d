import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalId, synthTemplate } from './synth';

describe('PhotoRepo bucket', () => {
  const template = synthTemplate();
  const photoRepo = () =>
    template.findResources('AWS::S3::Bucket')[logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo')];

  it('blocks every kind of public access', () => {
    expect(photoRepo().Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('disables ACLs', () => {
    expect(photoRepo().Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
  });

  it('is encrypted at rest', () => {
    expect(photoRepo().Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('denies every request that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('logs access to the access-log bucket', () => {
    expect(photoRepo().Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(template, 'AWS::S3::Bucket', 'StorageAccessLogs') },
      LogFilePrefix: 'PhotoRepo/',
    });
  });

  it('is retained on stack deletion by default', () => {
    expect(photoRepo().DeletionPolicy).toBe('Retain');
  });
});

describe('ImageMetadata table', () => {
  const template = synthTemplate();

  it('keys a photo by owner and photo id', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'owner', KeyType: 'HASH' },
        { AttributeName: 'photoId', KeyType: 'RANGE' },
      ],
    });
  });

  it("lists an owner's photos by upload time through a local secondary index", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      LocalSecondaryIndexes: [
        {
          IndexName: 'ByUploadedAt',
          KeySchema: [
            { AttributeName: 'owner', KeyType: 'HASH' },
            { AttributeName: 'uploadedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('expires the daily upload counters with TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is on-demand, encrypted and has point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('is deleted with the stack only when the config says destroy', () => {
    const destroyable = synthTemplate({ dataRemovalPolicy: 'destroy' });
    destroyable.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});

import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../lambda/shared/model';

export interface PhotoStorageProps {
  /**
   * What happens to the photos, their metadata and the access logs when the stack is deleted.
   * DESTROY also empties the buckets and lifts the table's deletion protection. @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The PhotoRepo bucket (originals under Incoming/, thumbnails under Thumbnails/), its access-log
 * bucket, and the ImageMetadata table.
 */
export class PhotoStorage extends Construct {
  public readonly photoRepo: s3.Bucket;
  public readonly accessLogs: s3.Bucket;
  public readonly imageMetadata: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PhotoStorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...privateBucketDefaults(),
      // Server access log delivery supports only SSE-S3 on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it to itself would loop.',
    });

    this.photoRepo = new s3.Bucket(this, 'PhotoRepo', {
      ...privateBucketDefaults(),
      encryption: s3.BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'PhotoRepo/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.imageMetadata = new dynamodb.Table(this, 'ImageMetadata', {
      // A photo is read by (owner, photoId) in one GetItem; owner comes from the caller's identity,
      // so one user can never address another's record.
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !destroy,
      removalPolicy,
      // Only the per-user daily upload counters carry it: they delete themselves a day after use.
      timeToLiveAttribute: TABLE_KEYS.timeToLiveAttribute,
    });
    // Same partition, sorted by upload time: a user's photos newest first (ScanIndexForward=false),
    // paginated with LastEvaluatedKey, strongly consistent right after an upload.
    this.imageMetadata.addLocalSecondaryIndex({
      indexName: TABLE_KEYS.byUploadedAtIndex,
      sortKey: { name: TABLE_KEYS.byUploadedAtSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}

/** Private, TLS-only, ACLs disabled: the baseline for every bucket of the app. */
function privateBucketDefaults(): s3.BucketProps {
  return {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: false,
  };
}

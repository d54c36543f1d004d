import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DockerImage, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { type CognitoConfig, WEB_CONFIG_FILE } from '../lambda/shared/web-config';
import { type WebAppOrigins, webAppContentSecurityPolicy } from './content-security-policy';
import { acknowledgeCdkHelper } from './nag';

const WEB_DIR = fileURLToPath(new URL('../web', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const MISSING_ORIGINS =
  'WebHosting needs the origins the web app talks to for its Content-Security-Policy: call useContentSecurityPolicy({ apiOrigin, cognitoOrigin, photoBucketOrigin }).';

/**
 * What the stack passes for the deployed app's config.json (lambda/shared/web-config.ts): everything
 * but the mode and the redirect URI, which this construct knows.
 */
export type WebRuntimeConfig = Readonly<Omit<CognitoConfig, 'mode' | 'redirectUri'>>;

export interface WebHostingProps {
  /** Bucket that receives the site bucket's server access logs. */
  readonly accessLogs: s3.IBucket;
  /** Days the deployment helper's logs are kept. */
  readonly logRetentionDays: number;
}

/**
 * The test web app: a private S3 bucket served only through CloudFront (Origin Access Control),
 * HTTPS only, with a strict Content-Security-Policy and the usual security headers.
 * `useContentSecurityPolicy()` names the origins the app talks to; `publish()` uploads the app, built
 * by Vite during synthesis, with its runtime config.json written at deploy time (it needs values, like
 * the API URL, known only then).
 */
export class WebHosting extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** The headers CloudFront adds to every response: CSP, HSTS, nosniff, frame options, referrer policy. */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** https://<id>.cloudfront.net */
  public readonly url: string;
  private readonly logRetentionDays: number;
  private appOrigins?: WebAppOrigins;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    this.logRetentionDays = props.logRetentionDays;
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'WebSite/',
      // The site is rebuilt from source on every deploy: nothing in it is worth keeping.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `${Stack.of(this).stackName} web app: CSP and security headers`,
      securityHeadersBehavior: {
        // Filled in at synthesis from useContentSecurityPolicy(): the origins exist only after the
        // API and sign-in, which themselves need this distribution's URL.
        contentSecurityPolicy: {
          contentSecurityPolicy: Lazy.string({
            produce: () => {
              if (!this.appOrigins) throw new Error(MISSING_ORIGINS);
              return webAppContentSecurityPolicy(this.appOrigins);
            },
          }),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
    });
    this.node.addValidation({ validate: () => (this.appOrigins ? [] : [MISSING_ORIGINS]) });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${Stack.of(this).stackName} web app`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: this.responseHeadersPolicy,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'A test web app for the photo pipeline: who may use it is decided by Cognito sign-in, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The site is static files behind sign-in; the API it calls is throttled at API Gateway. Add WAF for production traffic.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'CloudFront standard logs need an ACL-enabled bucket; the site bucket logs S3 access to the access-log bucket instead.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate fixes the minimum TLS version; use a custom domain and certificate to raise it.',
      },
    );
  }

  /**
   * Sets the origins the Content-Security-Policy allows besides the app's own (see
   * lib/content-security-policy.ts). CDK tokens are fine: CloudFormation joins them at deploy time.
   */
  useContentSecurityPolicy(origins: WebAppOrigins): void {
    this.appOrigins = origins;
  }

  /** Uploads the built web app and its runtime config.json, and invalidates CloudFront's cache. */
  publish(runtimeConfig: WebRuntimeConfig): s3deploy.BucketDeployment {
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      sources: [
        s3deploy.Source.asset(WEB_DIR, {
          exclude: ['dist', 'node_modules'],
          bundling: {
            // Built with the project's pinned Vite on this machine; Docker is the fallback CDK insists on naming.
            image: DockerImage.fromRegistry('node:22-slim'),
            local: {
              tryBundle(outputDir: string) {
                execFileSync(
                  'npx',
                  ['vite', 'build', '--config', 'web/vite.config.ts', '--outDir', outputDir, '--emptyOutDir'],
                  {
                    cwd: REPO_ROOT,
                    stdio: 'inherit',
                  },
                );
                return true;
              },
            },
          },
        }),
        s3deploy.Source.jsonData(WEB_CONFIG_FILE, {
          mode: 'cognito',
          ...runtimeConfig,
          redirectUri: `${this.url}/`,
        } satisfies CognitoConfig),
      ],
      memoryLimit: 512,
      prune: true,
      logGroup: new logs.LogGroup(this, 'DeployLogs', {
        retention: this.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    // CDK's own deployment function copies the built site from the CDK assets bucket into the site
    // bucket; its role, policy and runtime are CDK's and not configurable.
    const stack = Stack.of(this);
    const siteArn = `<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const copyReason =
      "CDK's BucketDeployment copies the built site from the CDK assets bucket into the site bucket; its policy is CDK's.";
    for (const child of stack.node.children.filter((c) =>
      c.node.id.startsWith('Custom::CDKBucketDeployment'),
    )) {
      acknowledgeCdkHelper(child);
      Validations.of(child).acknowledge(
        ...[
          'Action::s3:GetBucket*',
          'Action::s3:GetObject*',
          'Action::s3:List*',
          'Action::s3:Abort*',
          'Action::s3:DeleteObject*',
          'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
          `Resource::${siteArn}/*`,
        ].map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: copyReason })),
      );
    }
    return deployment;
  }
}

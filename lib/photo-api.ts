import { Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { API_ROUTES } from '../lambda/shared/api';
import type { CostModel } from '../lambda/shared/cost';
import { INCOMING_PREFIX, RENDITION_PREFIX, TABLE_KEYS, THUMBNAIL_PREFIX } from '../lambda/shared/model';
import { cognitoDomainPrefix, type PipelineConfig } from './config';
import { costModelFor } from './cost-model';
import { PipelineFunction, type StartExecutionTarget } from './pipeline-function';

/** Memory and timeout of each route's function. */
export type PhotoApiFunctionSettings = Pick<
  PipelineConfig['functions'],
  'createUpload' | 'listPhotos' | 'getPhoto' | 'deletePhoto' | 'retryPhoto'
>;

export interface PhotoApiProps {
  /** What happens to the user pool (the accounts) when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The prefix of the Cognito managed login domain, https://<prefix>.auth.<region>.amazoncognito.com */
  readonly cognitoDomainPrefix: string;
  readonly functions: PhotoApiFunctionSettings;
  /** Days the functions' and the access logs are kept. */
  readonly logRetentionDays: number;
  /** The largest upload POST /photos hands out a presigned POST for, in bytes. */
  readonly maxUploadBytes: number;
  /** Uploads per user and UTC day that POST /photos accepts. */
  readonly dailyUploadQuota: number;
  /** The prices GET /photos/{photoId} computes a photo's cost receipt with. */
  readonly costModel: CostModel;
  /** The stage's default throttle and each route's. */
  readonly throttling: PipelineConfig['api'];
  readonly photoRepo: s3.IBucket;
  readonly imageMetadata: dynamodb.ITableV2;
  /** ImageProc: the API reads its executions for a photo's status and timeline, and redrives failed ones. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where a retry starts a new execution: ImageProc's live alias, as start-execution does. */
  readonly startTarget: StartExecutionTarget;
  /** Origins (scheme://host[:port]) of the web app, the only ones CORS lets call the API. */
  readonly allowedOrigins: string[];
  /** Where Cognito's managed login may send the user back with an authorization code. */
  readonly callbackUrls: string[];
  /** Where Cognito may send the user after signing out. */
  readonly logoutUrls: string[];
}

/** The settings of PhotoApiProps the app's config decides (the stack adds the removal policy). */
export type PhotoApiSettings = Pick<
  PhotoApiProps,
  | 'cognitoDomainPrefix'
  | 'functions'
  | 'logRetentionDays'
  | 'maxUploadBytes'
  | 'dailyUploadQuota'
  | 'costModel'
  | 'throttling'
>;

/** How the app's config maps onto PhotoApi's settings; the domain prefix names the deploying account. */
export function photoApiSettings(config: PipelineConfig): PhotoApiSettings {
  return {
    cognitoDomainPrefix: cognitoDomainPrefix(config, Aws.ACCOUNT_ID),
    functions: config.functions,
    logRetentionDays: config.logRetentionDays,
    maxUploadBytes: config.maxUploadBytes,
    dailyUploadQuota: config.uploads.dailyQuotaPerUser,
    costModel: costModelFor(config),
    throttling: config.api,
  };
}

/**
 * The photo API and its sign-in: a Cognito user pool with managed login for the web app, and an HTTP
 * API whose every route needs a token from that pool. Uploads never pass through the API: POST
 * /photos answers with a presigned POST straight to PhotoRepo.
 *
 * Routes (lambda/shared/api.ts): POST /photos, GET /photos, GET /photos/{photoId},
 * DELETE /photos/{photoId}, POST /photos/{photoId}/retry; each its own function with its own least-privilege role.
 */
export class PhotoApi extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly userPoolDomain: cognito.UserPoolDomain;
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly authorizer: HttpJwtAuthorizer;
  public readonly accessLogs: logs.LogGroup;
  public readonly createUpload: PipelineFunction;
  public readonly listPhotos: PipelineFunction;
  public readonly getPhoto: PipelineFunction;
  public readonly deletePhoto: PipelineFunction;
  public readonly retryPhoto: PipelineFunction;

  constructor(scope: Construct, id: string, props: PhotoApiProps) {
    super(scope, id);
    const { photoRepo, imageMetadata, stateMachine, functions } = props;
    checkOrigins(props.allowedOrigins);
    checkRedirectUrls('callbackUrls', props.callbackUrls);
    checkRedirectUrls('logoutUrls', props.logoutUrls);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // Essentials: managed login and its branding; the default for new pools, stated so it cannot drift.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // Accounts are user data, kept like the photos unless the config says this stack is throwaway.
      removalPolicy,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    });
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is optional (TOTP, offered at sign-in) by product decision: this is a photo demo app where a second factor must not stop sign-up.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus feature plan (threat protection) is billed per active user; Essentials with a strong password policy and optional TOTP suits this demo app.',
      },
    );

    this.userPoolClient = this.userPool.addClient('WebClient', {
      // A browser app cannot keep a secret: a public client with the authorization code grant, which
      // Cognito protects with PKCE; no implicit grant (tokens in URLs).
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.cognitoDomainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login shows a client's pages only once the client has a branding style; Cognito's own.
    new cognito.CfnManagedLoginBranding(this, 'WebClientBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      useCognitoProvidedValues: true,
    }).node.addDependency(this.userPoolDomain);

    const common = { logRetentionDays: props.logRetentionDays };
    this.createUpload = new PipelineFunction(this, 'CreateUploadFunction', {
      ...common,
      handlerFolder: 'create-upload',
      description: 'Photo API, POST /photos: a presigned POST for one upload under Incoming/<user>/',
      settings: functions.createUpload,
      environment: {
        MAX_UPLOAD_BYTES: String(props.maxUploadBytes),
        DAILY_UPLOAD_QUOTA: String(props.dailyUploadQuota),
      },
    })
      // A presigned POST carries the function's own credentials: it needs the right it hands out.
      .bindObjects(photoRepo, 'PHOTO_BUCKET', ['s3:PutObject'], [INCOMING_PREFIX])
      // The caller's upload counter for the day (an ADD with a condition; nothing read or deleted).
      .bindTable(imageMetadata, ['dynamodb:UpdateItem']);

    this.listPhotos = new PipelineFunction(this, 'ListPhotosFunction', {
      ...common,
      handlerFolder: 'list-photos',
      description: "Photo API, GET /photos: the caller's photos, newest first, with thumbnail URLs",
      settings: functions.listPhotos,
    })
      .bindTable(imageMetadata, ['dynamodb:Query'], [TABLE_KEYS.byUploadedAtIndex])
      .bindObjects(photoRepo, 'PHOTO_BUCKET', ['s3:GetObject'], [THUMBNAIL_PREFIX]);

    this.getPhoto = new PipelineFunction(this, 'GetPhotoFunction', {
      ...common,
      handlerFolder: 'get-photo',
      description: 'Photo API, GET /photos/{photoId}: one photo, its URLs and its path through ImageProc',
      settings: functions.getPhoto,
      // Prices and memory sizes for the photo's cost receipt.
      environment: { COST_MODEL: JSON.stringify(props.costModel) },
    })
      .bindTable(imageMetadata, ['dynamodb:GetItem'])
      .bindObjects(
        photoRepo,
        'PHOTO_BUCKET',
        ['s3:GetObject'],
        [INCOMING_PREFIX, THUMBNAIL_PREFIX, RENDITION_PREFIX],
      )
      .bindReadExecutions(stateMachine);

    this.deletePhoto = new PipelineFunction(this, 'DeletePhotoFunction', {
      ...common,
      handlerFolder: 'delete-photo',
      description: 'Photo API, DELETE /photos/{photoId}: the original, the thumbnail and the record',
      settings: functions.deletePhoto,
    })
      // PutItem: the record is replaced by a tombstone (see lambda/delete-photo); DeleteItem: only
      // the photo's content index item (for duplicates), conditional on it naming the photo.
      .bindTable(imageMetadata, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'])
      .bindObjects(
        photoRepo,
        'PHOTO_BUCKET',
        ['s3:DeleteObject'],
        [INCOMING_PREFIX, THUMBNAIL_PREFIX, RENDITION_PREFIX],
      );

    this.retryPhoto = new PipelineFunction(this, 'RetryPhotoFunction', {
      ...common,
      handlerFolder: 'retry-photo',
      description: 'Photo API, POST /photos/{photoId}/retry: a FAILED photo redriven or run again',
      settings: functions.retryPhoto,
    })
      // Reads the record, then claims it with a conditional update (FAILED -> PROCESSING).
      .bindTable(imageMetadata, ['dynamodb:GetItem', 'dynamodb:UpdateItem'])
      // DescribeExecution tells whether the failed execution is redrivable.
      .bindReadExecutions(stateMachine)
      .bindStartExecution(props.startTarget)
      .bindRedriveExecutions(stateMachine);

    this.authorizer = new HttpJwtAuthorizer(
      'CognitoAuthorizer',
      `https://cognito-idp.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.userPool.userPoolId}`,
      {
        jwtAudience: [this.userPoolClient.userPoolClientId],
        identitySource: ['$request.header.Authorization'],
      },
    );

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-PhotoApi`,
      description: 'Photo API: uploads, listings, details and deletion for signed-in users',
      // Every route needs a token, including any added later without naming an authorizer.
      defaultAuthorizer: this.authorizer,
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
      // The default stage is created below with access logs and throttling.
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttling.throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            user: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    const routes: [keyof typeof API_ROUTES, PipelineFunction][] = [
      ['createUpload', this.createUpload],
      ['listPhotos', this.listPhotos],
      ['getPhoto', this.getPhoto],
      ['deletePhoto', this.deletePhoto],
      ['retryPhoto', this.retryPhoto],
    ];
    const stage = this.stage.node.defaultChild as apigw.CfnStage;
    // RouteSettings is a JSON property: CDK passes it through as is, so the keys are CloudFormation's.
    const routeSettings: Record<string, { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }> = {};
    for (const [name, fn] of routes) {
      const [method, path] = API_ROUTES[name].split(' ');
      const added = this.httpApi.addRoutes({
        path,
        methods: [method as apigw.HttpMethod],
        // The live alias, so CodeDeploy shifts API traffic to a new version gradually.
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.live),
        authorizer: this.authorizer,
      });
      const { burstLimit, rateLimit } = props.throttling.routeThrottles[name];
      routeSettings[API_ROUTES[name]] = { ThrottlingBurstLimit: burstLimit, ThrottlingRateLimit: rateLimit };
      // API Gateway refuses route settings for a route key that does not exist yet.
      for (const route of added) stage.node.addDependency(route);
    }
    // Per-route throttles over the stage default: POST /photos (uploads) lower than the reads.
    stage.routeSettings = routeSettings;
  }
}

/** CORS origins: exact scheme://host[:port], never a wildcard (the API takes bearer tokens). */
function checkOrigins(origins: string[]): void {
  if (origins.length === 0) {
    throw new Error(
      'PhotoApi needs at least one allowedOrigins entry: the web app origin, e.g. https://d123.cloudfront.net.',
    );
  }
  for (const origin of origins) {
    if (Token.isUnresolved(origin)) continue;
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new Error(
        `PhotoApi allowedOrigins entry "${origin}" must be an origin like https://example.com (scheme, host and optional port; no wildcard, path or trailing slash).`,
      );
    }
  }
}

/** Cognito accepts https redirect URLs, and http only for localhost. */
function checkRedirectUrls(name: string, urls: string[]): void {
  if (urls.length === 0) {
    throw new Error(
      `PhotoApi needs at least one ${name} entry: a page of the web app, e.g. https://d123.cloudfront.net/.`,
    );
  }
  for (const url of urls) {
    if (Token.isUnresolved(url)) continue;
    if (!/^(https:\/\/|http:\/\/localhost(:\d{1,5})?(\/|$))/.test(url)) {
      throw new Error(`PhotoApi ${name} entry "${url}" must use https (http is allowed only for localhost).`);
    }
  }
}

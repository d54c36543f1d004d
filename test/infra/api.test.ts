import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { cognitoDomainPrefix, resolveConfig } from '../../lib/config';
import { PhotoApi, type PhotoApiProps, photoApiSettings } from '../../lib/photo-api';
import { logicalId, synthTemplate } from './synth';

/** The deployed web app's origin (its CloudFront domain), as the template spells it. */
function webAppOrigin(path = '') {
  const distribution = logicalId(synthTemplate(), 'AWS::CloudFront::Distribution', 'WebDistribution');
  return {
    'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, ...(path ? [path] : [])]],
  };
}

const FUNCTIONS = {
  createUpload: 'ApiCreateUploadFunction',
  listPhotos: 'ApiListPhotosFunction',
  getPhoto: 'ApiGetPhotoFunction',
  deletePhoto: 'ApiDeletePhotoFunction',
  retryPhoto: 'ApiRetryPhotoFunction',
} as const;

type Template_ = ReturnType<typeof synthTemplate>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function functionOf(template: Template_, prefix: string) {
  return template.findResources('AWS::Lambda::Function')[
    logicalId(template, 'AWS::Lambda::Function', prefix)
  ];
}

/** The statements of a function's role, from its DefaultPolicy. */
function statementsOf(template: Template_, prefix: string): Statement[] {
  const roleId = functionOf(template, prefix).Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
const withActionsLike = (statements: Statement[], pattern: RegExp) =>
  statements.filter((s) => actionsOf([s]).some((a) => pattern.test(a)));

describe('photo API routes', () => {
  const template = synthTemplate();
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
  const authorizerId = logicalId(template, 'AWS::ApiGatewayV2::Authorizer', 'ApiHttpApiCognitoAuthorizer');

  it('has exactly the five routes of the API contract', () => {
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
      'DELETE /photos/{photoId}',
      'GET /photos',
      'GET /photos/{photoId}',
      'POST /photos',
      'POST /photos/{photoId}/retry',
    ]);
  });

  it('puts the JWT authorizer on every route, and no route without one', () => {
    for (const route of routes) {
      expect(route.Properties, route.Properties.RouteKey).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' }, 0);
  });

  it.each([
    ['POST /photos', FUNCTIONS.createUpload],
    ['GET /photos', FUNCTIONS.listPhotos],
    ['GET /photos/{photoId}', FUNCTIONS.getPhoto],
    ['DELETE /photos/{photoId}', FUNCTIONS.deletePhoto],
    ['POST /photos/{photoId}/retry', FUNCTIONS.retryPhoto],
  ])('sends %s to its own function (payload 2.0)', (routeKey, fn) => {
    const route = routes.find((r) => r.Properties.RouteKey === routeKey);
    const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref as string;
    const integration = template.findResources('AWS::ApiGatewayV2::Integration')[integrationId];
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      // The live alias, which CodeDeploy moves (lib/safe-deployment.ts).
      IntegrationUri: { Ref: logicalId(template, 'AWS::Lambda::Alias', `${fn}LiveAlias`) },
    });
  });

  it("checks tokens against the user pool's issuer and the web client as audience", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(template, 'AWS::Cognito::UserPoolClient', 'ApiUserPoolWebClient') }],
        Issuer: {
          'Fn::Join': [
            '',
            [
              'https://cognito-idp.',
              { Ref: 'AWS::Region' },
              '.',
              { Ref: 'AWS::URLSuffix' },
              '/',
              { Ref: logicalId(template, 'AWS::Cognito::UserPool', 'ApiUserPool') },
            ],
          ],
        },
      },
    });
  });

  it('allows CORS from exactly the given web origin, for the methods and headers the app uses', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: [webAppOrigin()],
        AllowMethods: ['GET', 'POST', 'DELETE'],
        AllowHeaders: ['authorization', 'content-type'],
      },
    });
  });

  it('logs every request of the default stage to a log group with the configured retention', () => {
    const tuned = synthTemplate({ logRetentionDays: 90 });
    const logGroupId = logicalId(tuned, 'AWS::Logs::LogGroup', 'ApiAccessLogs');
    tuned.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
    expect(tuned.findResources('AWS::Logs::LogGroup')[logGroupId].Properties.RetentionInDays).toBe(90);
  });

  it('throttles the stage with the configured limits', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 },
    });
    synthTemplate({ api: { throttle: { burstLimit: 10, rateLimit: 5 } } }).hasResourceProperties(
      'AWS::ApiGatewayV2::Stage',
      { DefaultRouteSettings: { ThrottlingBurstLimit: 10, ThrottlingRateLimit: 5 } },
    );
  });

  it('throttles each route with its own limits, uploads lower than reads', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        'POST /photos': { ThrottlingBurstLimit: 10, ThrottlingRateLimit: 5 },
        'GET /photos': { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 },
        'GET /photos/{photoId}': { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
        'DELETE /photos/{photoId}': { ThrottlingBurstLimit: 20, ThrottlingRateLimit: 10 },
      },
    });
    synthTemplate({
      api: { routeThrottles: { createUpload: { burstLimit: 2, rateLimit: 1 } } },
    }).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: Match.objectLike({
        'POST /photos': { ThrottlingBurstLimit: 2, ThrottlingRateLimit: 1 },
      }),
    });
  });

  it('creates the stage after the routes its settings name (API Gateway refuses unknown route keys)', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const routeIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routeIds).toHaveLength(5);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('outputs the API URL, the user pool, the web client and the managed login domain', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.ApiUrl.Value).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::ApiGatewayV2::Api', 'ApiHttpApi'), 'ApiEndpoint'],
    });
    expect(outputs.UserPoolId.Value).toEqual({
      Ref: logicalId(template, 'AWS::Cognito::UserPool', 'ApiUserPool'),
    });
    expect(outputs.UserPoolClientId.Value).toEqual({
      Ref: logicalId(template, 'AWS::Cognito::UserPoolClient', 'ApiUserPoolWebClient'),
    });
    expect(JSON.stringify(outputs.CognitoDomain.Value)).toMatch(/https:\/\/.*\.auth\..*amazoncognito\.com/);
  });
});

describe('sign-in', () => {
  const template = synthTemplate();

  it('lets people sign themselves up with a verified email and a strong password, TOTP optional', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  it('gives the web app a public client with only the authorization code flow (PKCE), no secret', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [webAppOrigin('/')],
      LogoutURLs: [webAppOrigin('/')],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('has a managed login domain named from the stack and account, with Cognito branding for the client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['imagerecognition-', { Ref: 'AWS::AccountId' }]] },
      ManagedLoginVersion: 2,
    });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      ClientId: { Ref: logicalId(template, 'AWS::Cognito::UserPoolClient', 'ApiUserPoolWebClient') },
      UseCognitoProvidedValues: true,
    });
  });

  it('takes the domain prefix from the config when it is set', () => {
    synthTemplate({ auth: { domainPrefix: 'my-photos' } }).hasResourceProperties(
      'AWS::Cognito::UserPoolDomain',
      {
        Domain: 'my-photos',
      },
    );
    expect(cognitoDomainPrefix(resolveConfig({ stackName: 'Photos-Dev' }), '123456789012')).toBe(
      'photos-dev-123456789012',
    );
  });

  it('keeps the user pool on stack deletion unless the config says destroy', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
    synthTemplate({ dataRemovalPolicy: 'destroy' }).hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });
});

describe('API functions', () => {
  const template = synthTemplate();
  const photoRepoArn = { 'Fn::GetAtt': [logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo'), 'Arn'] };
  const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [photoRepoArn, `/${prefix}*`]] });
  const tableArn = {
    'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'StorageImageMetadata'), 'Arn'],
  };

  it.each(Object.values(FUNCTIONS))(
    '%s runs Node.js 22 on arm64 with the source recorded for the local cloud',
    (fn) => {
      const resource = functionOf(template, fn);
      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
      });
      expect(resource.Metadata.LocalCloudEntry).toMatch(/^lambda\/[a-z-]+\/handler\.ts$/);
    },
  );

  it('passes the bucket, table and upload limit the handlers read', () => {
    const environment = (fn: string) => functionOf(template, fn).Properties.Environment.Variables;
    const bucketRef = { Ref: logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo') };
    const tableRef = { Ref: logicalId(template, 'AWS::DynamoDB::Table', 'StorageImageMetadata') };
    expect(environment(FUNCTIONS.createUpload)).toMatchObject({
      PHOTO_BUCKET: bucketRef,
      MAX_UPLOAD_BYTES: '26214400',
      TABLE_NAME: tableRef,
      DAILY_UPLOAD_QUOTA: '200',
    });
    for (const fn of [FUNCTIONS.listPhotos, FUNCTIONS.getPhoto, FUNCTIONS.deletePhoto]) {
      expect(environment(fn)).toMatchObject({ PHOTO_BUCKET: bucketRef, TABLE_NAME: tableRef });
    }
    expect(
      functionOf(synthTemplate({ maxUploadBytes: 1_048_576 }), FUNCTIONS.createUpload).Properties.Environment
        .Variables.MAX_UPLOAD_BYTES,
    ).toBe('1048576');
    expect(
      functionOf(synthTemplate({ uploads: { dailyQuotaPerUser: 5 } }), FUNCTIONS.createUpload).Properties
        .Environment.Variables.DAILY_UPLOAD_QUOTA,
    ).toBe('5');
  });

  it('lets CreateUpload only put objects under Incoming/ (what its presigned POST hands out)', () => {
    const statements = statementsOf(template, FUNCTIONS.createUpload);
    expect(withActionsLike(statements, /^s3:/)).toEqual([
      { Effect: 'Allow', Action: 's3:PutObject', Resource: objectsUnder('Incoming/') },
    ]);
    expect(withActionsLike(statements, /^states:/)).toEqual([]);
  });

  it('lets CreateUpload only update items of the table (the daily upload counter), no reads or deletes', () => {
    const statements = statementsOf(template, FUNCTIONS.createUpload);
    expect(withActionsLike(statements, /^dynamodb:/)).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableArn },
    ]);
  });

  it('lets ListPhotos query the table and its ByUploadedAt index, and read thumbnails only', () => {
    const statements = statementsOf(template, FUNCTIONS.listPhotos);
    expect(withActionsLike(statements, /^dynamodb:/)).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: [tableArn, { 'Fn::Join': ['', [tableArn, '/index/ByUploadedAt']] }],
      },
    ]);
    expect(withActionsLike(statements, /^s3:/)).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objectsUnder('Thumbnails/') },
    ]);
  });

  it("lets GetPhoto get one item, read the original, thumbnail and rendition prefixes and read ImageProc's executions", () => {
    const statements = statementsOf(template, FUNCTIONS.getPhoto);
    const stateMachine = logicalId(template, 'AWS::StepFunctions::StateMachine', 'ProcessingImageProc');
    expect(withActionsLike(statements, /^dynamodb:/)).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn },
    ]);
    expect(withActionsLike(statements, /^s3:/)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objectsUnder('Incoming/'), objectsUnder('Renditions/'), objectsUnder('Thumbnails/')],
      },
    ]);
    const [states] = withActionsLike(statements, /^states:/);
    expect(states.Action).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory']);
    expect(JSON.stringify(states.Resource)).toContain(':execution:');
    expect(JSON.stringify(states.Resource)).toContain(`"Ref":"${stateMachine}"`);
  });

  it('lets DeletePhoto get, put (a tombstone replaces the record) and delete items (its content index item), and delete objects under the original, thumbnail and rendition prefixes only', () => {
    const statements = statementsOf(template, FUNCTIONS.deletePhoto);
    expect(withActionsLike(statements, /^dynamodb:/)).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: tableArn,
      },
    ]);
    expect(withActionsLike(statements, /^s3:/)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:DeleteObject',
        Resource: [objectsUnder('Incoming/'), objectsUnder('Renditions/'), objectsUnder('Thumbnails/')],
      },
    ]);
  });

  it("lets RetryPhoto get and update items, and describe, redrive and start ImageProc's executions only", () => {
    const statements = statementsOf(template, FUNCTIONS.retryPhoto);
    const stateMachine = logicalId(template, 'AWS::StepFunctions::StateMachine', 'ProcessingImageProc');
    expect(withActionsLike(statements, /^dynamodb:/)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: tableArn },
    ]);
    expect(withActionsLike(statements, /^s3:/)).toEqual([]);
    const states = withActionsLike(statements, /^states:/);
    expect(actionsOf(states)).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:RedriveExecution',
      'states:StartExecution',
    ]);
    // A new execution starts through the live alias, as start-execution's do; redrives are of executions.
    const alias = logicalId(template, 'AWS::StepFunctions::StateMachineAlias', 'ProcessingImageProcLive');
    const start = states.find((s) => actionsOf([s]).includes('states:StartExecution'));
    expect(start?.Resource).toEqual({ 'Fn::GetAtt': [alias, 'Arn'] });
    const redrive = states.find((s) => actionsOf([s]).includes('states:RedriveExecution'));
    expect(JSON.stringify(redrive?.Resource)).toContain(':execution:');
    expect(JSON.stringify(redrive?.Resource)).toContain(stateMachine);
    expect(functionOf(template, FUNCTIONS.retryPhoto).Properties.Environment.Variables).toMatchObject({
      STATE_MACHINE_ARN: { 'Fn::GetAtt': [alias, 'Arn'] },
    });
  });

  it('never grants a wildcard S3, DynamoDB or Step Functions action, nor any on Resource *', () => {
    for (const fn of Object.values(FUNCTIONS)) {
      const statements = statementsOf(template, fn);
      expect(
        actionsOf(statements).filter((a) => /^(s3|dynamodb|states):.*\*/.test(a)),
        fn,
      ).toEqual([]);
      const onEverything = statements.filter((s) => s.Resource === '*');
      expect(actionsOf(onEverything), fn).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });
});

describe('PhotoApi props', () => {
  const build = (overrides: Partial<PhotoApiProps>) => {
    const stack = new Stack(new App(), 'Test');
    const config = resolveConfig();
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')),
    });
    new PhotoApi(stack, 'Api', {
      ...photoApiSettings(config),
      photoRepo: new s3.Bucket(stack, 'Bucket'),
      imageMetadata: new dynamodb.Table(stack, 'Table', {
        partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
      }),
      stateMachine: machine,
      startTarget: {
        startExecutionArn: machine.stateMachineArn,
        grantStartExecution: (g) => machine.grantStartExecution(g),
      },
      allowedOrigins: ['https://d123.cloudfront.net'],
      callbackUrls: ['https://d123.cloudfront.net/'],
      logoutUrls: ['https://d123.cloudfront.net/'],
      ...overrides,
    });
    return Template.fromStack(stack);
  };

  it('passes the given origins and redirect URLs through', () => {
    const template = build({
      allowedOrigins: ['https://d123.cloudfront.net', 'http://localhost:4600'],
      callbackUrls: ['https://d123.cloudfront.net/callback'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://d123.cloudfront.net', 'http://localhost:4600'],
      }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://d123.cloudfront.net/callback'],
    });
  });

  it.each([
    [{ allowedOrigins: [] }, /at least one allowedOrigins entry/],
    [{ allowedOrigins: ['*'] }, /allowedOrigins entry "\*" must be an origin/],
    [{ allowedOrigins: ['https://d123.cloudfront.net/'] }, /no wildcard, path or trailing slash/],
    [{ callbackUrls: [] }, /at least one callbackUrls entry/],
    [{ callbackUrls: ['http://example.com/'] }, /callbackUrls entry "http:\/\/example.com\/" must use https/],
    [{ logoutUrls: ['ftp://x'] }, /logoutUrls entry "ftp:\/\/x" must use https/],
  ])('fails when given %j', (overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });
});

describe('API settings in the config', () => {
  it('defaults to 25 MiB uploads, burst 50 / rate 20 and a derived domain prefix', () => {
    const config = resolveConfig();
    expect(config.maxUploadBytes).toBe(26_214_400);
    expect(config.api.throttle).toEqual({ burstLimit: 50, rateLimit: 20 });
    expect(config.api.routeThrottles.createUpload).toEqual({ burstLimit: 10, rateLimit: 5 });
    expect(config.uploads.dailyQuotaPerUser).toBe(200);
    expect(config.auth.domainPrefix).toBeUndefined();
    expect(config.functions.createUpload).toEqual({ memoryMb: 256, timeoutSeconds: 10 });
  });

  it.each([
    [{ maxUploadBytes: 0 }, /maxUploadBytes must be a whole number of bytes from 1 to 5368709120/],
    [{ maxUploadBytes: 6 * 1024 ** 3 }, /maxUploadBytes/],
    [
      { api: { throttle: { burstLimit: -1 } } },
      /api\.throttle\.burstLimit must be a whole number from 0 to 5000, got -1/,
    ],
    [{ api: { throttle: { rateLimit: Number.NaN } } }, /api\.throttle\.rateLimit must be a number/],
    [
      { api: { routeThrottles: { createUpload: { burstLimit: 1.5 } } } },
      /api\.routeThrottles\.createUpload\.burstLimit must be a whole number from 0 to 5000, got 1\.5/,
    ],
    [
      { api: { routeThrottles: { listPhotos: { rateLimit: -1 } } } },
      /api\.routeThrottles\.listPhotos\.rateLimit must be a number of requests per second/,
    ],
    [{ api: { routeThrottles: { uploadPhoto: { rateLimit: 1 } } } }, /unknown setting\(s\) uploadPhoto/],
    [
      { uploads: { dailyQuotaPerUser: 0 } },
      /uploads\.dailyQuotaPerUser must be a whole number of uploads from 1/,
    ],
    [{ uploads: { dailyQuotaPerUser: 2.5 } }, /uploads\.dailyQuotaPerUser .* got 2\.5/],
    [{ uploads: { dailyQuotaPerUser: '200' } }, /uploads\.dailyQuotaPerUser/],
    [
      { auth: { domainPrefix: 'My_Photos' } },
      /auth\.domainPrefix "My_Photos" must be 1-63 lower-case letters/,
    ],
    [{ auth: { domainPrefix: 'aws-photos' } }, /without the words aws, amazon or cognito/],
    [{ auth: { domainPrefix: '-photos' } }, /auth\.domainPrefix "-photos"/],
    [
      { stackName: 'AwsPhotos' },
      /stackName "AwsPhotos" contains aws, amazon or cognito.*set auth\.domainPrefix/,
    ],
  ])('fails for %j', (overrides, message) => {
    expect(() => resolveConfig(overrides as never)).toThrow(message);
  });

  it('accepts a stack name with a reserved word when a domain prefix is set', () => {
    expect(() =>
      resolveConfig({ stackName: 'AwsPhotos', auth: { domainPrefix: 'photos-dev' } }),
    ).not.toThrow();
  });

  it('fails when an API setting is unknown, naming it', () => {
    expect(() => resolveConfig({ api: { throtle: {} } } as never)).toThrow(/unknown setting\(s\) throtle/);
  });
});

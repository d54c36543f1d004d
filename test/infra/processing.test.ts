import { readdirSync, readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp, createInProcessApp } from '../../lib/app';
import { resolveConfig } from '../../lib/config';
import { PipelineFunction } from '../../lib/pipeline-function';
import { pipelineVersion } from '../../lib/pipeline-version';
import { logicalId, synthTemplate } from './synth';

const FUNCTIONS = {
  startExecution: 'ProcessingImageProcStartExecution',
  extractMetadata: 'ProcessingExtractMetadataFunction',
  recordPhoto: 'ProcessingRecordPhotoFunction',
  detectLabels: 'ProcessingDetectLabelsFunction',
  generateThumbnail: 'ProcessingGenerateThumbnailFunction',
  generateRendition: 'ProcessingGenerateRenditionFunction',
} as const;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The statements of a function's role, from its DefaultPolicy. */
function statementsOf(template: ReturnType<typeof synthTemplate>, functionPrefix: string): Statement[] {
  const fn =
    template.findResources('AWS::Lambda::Function')[
      logicalId(template, 'AWS::Lambda::Function', functionPrefix)
    ];
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('upload trigger', () => {
  const template = synthTemplate();

  it('sends only object-created events under Incoming/ to ImageProcStartExecution', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'Incoming/' }] } },
            // The live alias, which CodeDeploy moves (lib/safe-deployment.ts).
            LambdaFunctionArn: {
              Ref: logicalId(template, 'AWS::Lambda::Alias', `${FUNCTIONS.startExecution}LiveAlias`),
            },
          },
        ],
      },
    });
  });

  it('has no other notification, so a thumbnail write can never start the pipeline', () => {
    const [notifications] = Object.values(template.findResources('Custom::S3BucketNotifications'));
    const config = notifications.Properties.NotificationConfiguration;
    expect(Object.keys(config)).toEqual(['LambdaFunctionConfigurations']);
    expect(config.LambdaFunctionConfigurations).toHaveLength(1);
  });

  it('retries a failed start twice, then keeps the event in a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(template, 'AWS::Lambda::Function', FUNCTIONS.startExecution) },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [
              logicalId(template, 'AWS::SQS::Queue', 'ProcessingStartExecutionDeadLetters'),
              'Arn',
            ],
          },
        },
      },
    });
  });
});

describe('functions', () => {
  const template = synthTemplate();

  it.each(Object.values(FUNCTIONS))('%s runs Node.js 22 on arm64 with tracing and JSON logs', (prefix) => {
    const fn =
      template.findResources('AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', prefix)];
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
    });
    expect(fn.Properties.Environment.Variables).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_METRICS_NAMESPACE: 'ImageRecognition',
    });
  });

  it('keeps every function log group for the configured retention', () => {
    const groups = Object.entries(
      synthTemplate({ logRetentionDays: 90 }).findResources('AWS::Logs::LogGroup'),
    );
    // Thirteen functions, seven PreTraffic hooks, the two state machines (ImageProc, Reprocess), the API
    // access log, the site deployment.
    expect(groups.length).toBe(24);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('takes memory and timeout from the config', () => {
    const tuned = synthTemplate({ functions: { generateThumbnail: { memoryMb: 2048, timeoutSeconds: 90 } } });
    tuned.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('thumbnail'),
      MemorySize: 2048,
      Timeout: 90,
    });
  });

  it('passes the thumbnail box, pixel limit and label settings from the config', () => {
    const tuned = synthTemplate({
      thumbnail: { maxWidth: 320, maxHeight: 200 },
      maxImagePixels: 20_000_000,
      labels: { maxLabels: 5, minConfidence: 80 },
    });
    tuned.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          THUMBNAIL_PREFIX: 'Thumbnails/',
          THUMBNAIL_MAX_WIDTH: '320',
          THUMBNAIL_MAX_HEIGHT: '200',
          MAX_IMAGE_PIXELS: '20000000',
        }),
      },
    });
    tuned.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_LABELS: '5', MIN_CONFIDENCE: '80' }) },
    });
  });

  it('gives RecordPhoto the pipeline version, which changes with the settings that change outputs only', () => {
    const versionOf = (overrides: Parameters<typeof synthTemplate>[0]) => {
      const t = synthTemplate(overrides);
      return t.findResources('AWS::Lambda::Function')[
        logicalId(t, 'AWS::Lambda::Function', FUNCTIONS.recordPhoto)
      ].Properties.Environment.Variables.PIPELINE_VERSION as string;
    };
    const base = versionOf({});
    expect(base).toBe(pipelineVersion(resolveConfig()));
    expect(base).toMatch(/^r\d+-[0-9a-f]{12}$/);
    expect(versionOf({ labels: { minConfidence: 80 } })).not.toBe(base);
    expect(versionOf({ thumbnail: { maxWidth: 320 } })).not.toBe(base);
    expect(versionOf({ rendition: { maxSide: 1024 } })).not.toBe(base);
    expect(versionOf({ supportedFormats: ['jpeg', 'png'] })).not.toBe(base);
    expect(versionOf({ supportedFormats: [...resolveConfig().supportedFormats].reverse() })).toBe(base);
    expect(versionOf({ functions: { generateThumbnail: { memoryMb: 2048 } } })).toBe(base);
  });

  it('ships sharp as a node module with every function whose handler imports it', () => {
    // Prepare: bundling is skipped in-process, so read what each function asks the bundler for.
    const app = createInProcessApp();
    const functions = buildApp(app, resolveConfig())
      .node.findAll()
      .filter((construct): construct is PipelineFunction => construct instanceof PipelineFunction);
    // A handler imports sharp when one of its files, or a module they import (lambda/shared/…), does.
    const importsSharpFrom = (file: URL, seen = new Set<string>()): boolean => {
      if (seen.has(file.href)) return false;
      seen.add(file.href);
      const source = readFileSync(file, 'utf8');
      if (/from 'sharp'/.test(source)) return true;
      return [...source.matchAll(/from '(\.\.?\/[^']+)'/g)].some(([, path]) =>
        importsSharpFrom(new URL(`${path}.ts`, file), seen),
      );
    };
    const importsSharp = (folder: string) =>
      readdirSync(new URL(`../../lambda/${folder}/`, import.meta.url))
        .filter((file) => file.endsWith('.ts'))
        .some((file) => importsSharpFrom(new URL(`../../lambda/${folder}/${file}`, import.meta.url)));

    // Assess
    const withSharp = functions.filter((fn) => importsSharp(fn.handlerFolder)).map((fn) => fn.handlerFolder);
    expect(withSharp.sort()).toEqual([
      'detect-labels',
      'extract-metadata',
      'generate-rendition',
      'generate-thumbnail',
    ]);
    for (const fn of functions) {
      expect(fn.nodeModules, fn.handlerFolder).toEqual(importsSharp(fn.handlerFolder) ? ['sharp'] : []);
    }
  });

  it('does not attach the AWS managed basic execution policy to any function role', () => {
    for (const prefix of Object.values(FUNCTIONS)) {
      const fn =
        template.findResources('AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', prefix)];
      const role = template.findResources('AWS::IAM::Role')[fn.Properties.Role['Fn::GetAtt'][0]];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('least privilege', () => {
  const template = synthTemplate();
  const photoRepoArn = { 'Fn::GetAtt': [logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo'), 'Arn'] };
  const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [photoRepoArn, `/${prefix}*`]] });
  // The PreTraffic hooks' smoke photo (lib/safe-deployment.ts), outside Incoming/.
  const readIncomingAndSmokeTests = {
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: [objectsUnder('Incoming/'), objectsUnder('SmokeTests/')],
  };
  const tableArn = {
    'Fn::GetAtt': [logicalId(template, 'AWS::DynamoDB::Table', 'StorageImageMetadata'), 'Arn'],
  };
  const s3Statements = (prefix: string) =>
    statementsOf(template, prefix).filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));

  it('lets ExtractMetadata read objects under Incoming/ (and the smoke photo) and nothing else in S3', () => {
    expect(s3Statements(FUNCTIONS.extractMetadata)).toEqual([readIncomingAndSmokeTests]);
  });

  it('lets GenerateThumbnail read Incoming/ and Renditions/ and write (and take back) only Thumbnails/', () => {
    expect(s3Statements(FUNCTIONS.generateThumbnail)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objectsUnder('Incoming/'), objectsUnder('Renditions/'), objectsUnder('SmokeTests/')],
      },
      { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:PutObject'], Resource: objectsUnder('Thumbnails/') },
    ]);
  });

  it('lets GenerateRendition read Incoming/ and write (and take back) only Renditions/', () => {
    expect(s3Statements(FUNCTIONS.generateRendition)).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objectsUnder('Incoming/') },
      { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:PutObject'], Resource: objectsUnder('Renditions/') },
    ]);
  });

  it('lets GenerateRendition only get items of the metadata table (was the photo deleted meanwhile?)', () => {
    const statements = statementsOf(template, FUNCTIONS.generateRendition).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('dynamodb:')),
    );
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn }]);
  });

  it('gives GenerateRendition the memory a 50 MP decode needs, the rendition box and the pixel limit', () => {
    const fn =
      template.findResources('AWS::Lambda::Function')[
        logicalId(template, 'AWS::Lambda::Function', FUNCTIONS.generateRendition)
      ];
    expect(fn.Properties).toMatchObject({
      MemorySize: resolveConfig().functions.generateRendition.memoryMb,
      Timeout: resolveConfig().functions.generateRendition.timeoutSeconds,
      Environment: {
        Variables: expect.objectContaining({
          RENDITION_PREFIX: 'Renditions/',
          RENDITION_MAX_SIDE: '2048',
          MAX_IMAGE_PIXELS: '50000000',
        }),
      },
    });
    expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(1769); // a full vCPU: libheif decodes on one thread
  });

  it('lets GenerateThumbnail only get items of the metadata table (was the photo deleted meanwhile?)', () => {
    const statements = statementsOf(template, FUNCTIONS.generateThumbnail).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('dynamodb:')),
    );
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn }]);
  });

  it('lets DetectLabels read Incoming/ and Renditions/ (Rekognition reads with its rights) and call only rekognition:DetectLabels', () => {
    const statements = statementsOf(template, FUNCTIONS.detectLabels);
    expect(s3Statements(FUNCTIONS.detectLabels)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [objectsUnder('Incoming/'), objectsUnder('Renditions/'), objectsUnder('SmokeTests/')],
      },
    ]);
    expect(actionsOf(statements).filter((a) => a.startsWith('rekognition:'))).toEqual([
      'rekognition:DetectLabels',
    ]);
  });

  it('lets RecordPhoto only update and get items of the metadata table (get: the duplicate lookup)', () => {
    const statements = statementsOf(template, FUNCTIONS.recordPhoto).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('dynamodb:')),
    );
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: tableArn },
    ]);
  });

  it('lets ImageProcStartExecution put, get and update records (FAILED when a start fails) and start ImageProc through its alias', () => {
    const statements = statementsOf(template, FUNCTIONS.startExecution);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: {
        'Fn::GetAtt': [
          logicalId(template, 'AWS::StepFunctions::StateMachineAlias', 'ProcessingImageProcLive'),
          'Arn',
        ],
      },
    });
    expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });

  it('never grants a wildcard S3 or DynamoDB action', () => {
    for (const prefix of Object.values(FUNCTIONS)) {
      expect(actionsOf(statementsOf(template, prefix)).filter((a) => /^(s3|dynamodb):.*\*/.test(a))).toEqual(
        [],
      );
    }
  });

  it('lets a function write only to its own log group', () => {
    const statements = statementsOf(template, FUNCTIONS.extractMetadata).filter((s) =>
      actionsOf([s]).some((a) => a.startsWith('logs:')),
    );
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::GetAtt': [
            logicalId(template, 'AWS::Logs::LogGroup', 'ProcessingExtractMetadataFunctionLogs'),
            'Arn',
          ],
        },
      },
    ]);
  });
});

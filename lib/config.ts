/**
 * The one typed configuration of the app. `bin/app.ts` builds it from CDK context (`-c pipeline=...` or
 * `cdk.json`), stacks and constructs receive it as props, and handlers see only the environment
 * variables the constructs derive from it. Nothing else reads context or `process.env`.
 */
import type { API_ROUTES } from '../lambda/shared/api';
import { type PriceTable, priceTableProblems } from '../lambda/shared/cost';

/** Image formats as sharp names them; the ones the pipeline may be told to accept. */
export const KNOWN_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;
export type ImageFormat = (typeof KNOWN_FORMATS)[number];

export interface FunctionSettings {
  /** Memory in MB. Lambda gives CPU in proportion to memory. */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export type FunctionName =
  | 'startExecution'
  | 'extractMetadata'
  | 'recordPhoto'
  | 'detectLabels'
  | 'generateThumbnail'
  | 'generateRendition'
  | 'createUpload'
  | 'listPhotos'
  | 'getPhoto'
  | 'deletePhoto'
  | 'retryPhoto'
  | 'reconcilePhoto'
  | 'reprocessPhoto';

/** API Gateway throttling: a token bucket of `burstLimit` refilled at `rateLimit` per second. */
export interface ThrottleSettings {
  /** Requests that may arrive at once, above the steady rate. */
  readonly burstLimit: number;
  /** Steady requests per second. */
  readonly rateLimit: number;
}

/** The photo API's routes, by name (lambda/shared/api.ts). */
export type ApiRouteName = keyof typeof API_ROUTES;

/**
 * CodeDeploy's predefined ways to move a Lambda alias to a new version (LambdaDeploymentConfig): a
 * canary (10% for N minutes, then the rest), linear (10% more every N minutes), or all at once.
 */
export const FUNCTION_DEPLOYMENT_PREFERENCES = [
  'CANARY_10PERCENT_5MINUTES',
  'CANARY_10PERCENT_10MINUTES',
  'CANARY_10PERCENT_15MINUTES',
  'CANARY_10PERCENT_30MINUTES',
  'LINEAR_10PERCENT_EVERY_1MINUTE',
  'LINEAR_10PERCENT_EVERY_2MINUTES',
  'LINEAR_10PERCENT_EVERY_3MINUTES',
  'LINEAR_10PERCENT_EVERY_10MINUTES',
  'ALL_AT_ONCE',
] as const;
export type FunctionDeploymentPreference = (typeof FUNCTION_DEPLOYMENT_PREFERENCES)[number];

/** How the state machine's `live` alias moves to a new version (its DeploymentPreference). */
export interface StateMachineDeploymentPreference {
  /**
   * CANARY: `percentage` of new executions for `intervalMinutes`, then all. LINEAR: `percentage` more
   * every `intervalMinutes`. ALL_AT_ONCE: everything at once, still watched by the alarms and rolled back.
   */
  readonly type: 'CANARY' | 'LINEAR' | 'ALL_AT_ONCE';
  /** Share of executions moved per step, 1-99 (not used by ALL_AT_ONCE). */
  readonly percentage: number;
  /** Minutes between steps, 1-2100 (not used by ALL_AT_ONCE). */
  readonly intervalMinutes: number;
}

/** The reprocess workflow (lib/reprocess.ts, `npm run reprocess`). */
export interface ReprocessSettings {
  /**
   * Child executions (photos) the Distributed Map runs at once: its MaxConcurrency. At most
   * `detectLabelsTps`: each photo's ImageProc run calls DetectLabels at most once and takes more than
   * a second (six Lambda steps at the least), so N runs at once call it fewer than N times a second.
   * @default 40 (of the default quota of 50, leaving room for live uploads)
   */
  readonly maxConcurrency: number;
  /**
   * The account's Rekognition DetectLabels quota in transactions per second, in the stack's region
   * (Service Quotas, "Transactions per second per account for DetectLabels"; 50 in the large regions
   * by default, less in others: look yours up). Bounds maxConcurrency. @default 50
   */
  readonly detectLabelsTps: number;
  /**
   * Share of photos (child executions) that may fail before the run fails with
   * States.ExceedToleratedFailureThreshold: its ToleratedFailurePercentage, 0-100. A rejected photo
   * (an unsupported type) is not a failure. @default 5
   */
  readonly toleratedFailurePercentage: number;
  /**
   * Where the run's items come from: 'listObjects' lists Incoming/ (ListObjectsV2, fine up to millions
   * of objects); 'inventory' reads an S3 Inventory manifest (CSV) from `inventoryBucket`, whose key the
   * run's input gives as `inventoryManifestKey`: for very large buckets, where listing is slow.
   * The local cloud runs 'listObjects' only. @default 'listObjects'
   */
  readonly itemSource: 'listObjects' | 'inventory';
  /** The bucket S3 Inventory writes PhotoRepo's inventory to (itemSource 'inventory'). @default undefined */
  readonly inventoryBucket: string | undefined;
}

export interface PipelineConfig {
  /** Name of the CloudFormation stack. @default 'ImageRecognition' */
  readonly stackName: string;
  /**
   * Formats that go on past ImageTypeCheck; anything else ends in NotSupportedImageType. 'heif' is
   * HEIC/HEIF (HEVC, decoded with libheif's WebAssembly build), 'avif' is AV1 in a HEIF container.
   * `['jpeg', 'png']` is the reference pipeline's behaviour.
   * @default ['jpeg', 'png', 'heif', 'avif', 'webp', 'tiff']
   */
  readonly supportedFormats: readonly ImageFormat[];
  /** STANDARD (up to a year, exactly-once, full history) or EXPRESS (cheaper, at-least-once, 5 min). @default 'STANDARD' */
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  /**
   * The ImageProc state machine's TimeoutSeconds: an execution still running after it ends TIMED_OUT,
   * and the reconciler marks its photo FAILED. Leave room for every retry of every step (a photo
   * normally takes seconds; the worst case of retries and function timeouts a few minutes). At most a
   * year for STANDARD, 5 minutes for EXPRESS.
   * @default 900 (15 minutes) for STANDARD, 300 for EXPRESS (see executionTimeoutSeconds)
   */
  readonly executionTimeoutSeconds: number | undefined;
  readonly thumbnail: {
    /** The thumbnail fits inside this box, aspect ratio kept, never enlarged. @default 250 */
    readonly maxWidth: number;
    /** @default 250 */
    readonly maxHeight: number;
  };
  /**
   * Largest image (width x height, in pixels) the thumbnail step will decode. A decompression bomb
   * stops at the header with FAILED "image too large" instead of exhausting the function's memory.
   * @default 50_000_000 (50 MP: a 10,000 x 5,000 photo, about 200 MB decoded)
   */
  readonly maxImagePixels: number;
  readonly rendition: {
    /**
     * The display rendition (written for photos whose original a browser or Rekognition cannot take:
     * HEIC, TIFF, AVIF, WebP, over 15 MB or 10,000 px a side, or a longer side over twice this) fits a
     * square of this side. At most 10,000 (Rekognition reads it). @default 2048
     */
    readonly maxSide: number;
  };
  readonly labels: {
    /** Rekognition DetectLabels MaxLabels. @default 10 */
    readonly maxLabels: number;
    /** Rekognition DetectLabels MinConfidence, 0-100. @default 70 */
    readonly minConfidence: number;
  };
  /** Memory and timeout of each function. */
  readonly functions: Readonly<Record<FunctionName, FunctionSettings>>;
  /** Days CloudWatch keeps function and state machine logs. @default 30 */
  readonly logRetentionDays: number;
  /**
   * What `cdk destroy` does with the photo bucket and metadata table. 'retain' keeps them (the
   * default: photos are user data); 'destroy' empties and deletes them (for throwaway dev stacks).
   * @default 'retain'
   */
  readonly dataRemovalPolicy: 'retain' | 'destroy';
  /**
   * Largest photo a user may upload, in bytes: POST /photos refuses a larger declared size (413) and
   * the presigned POST policy enforces it on the upload itself. S3 takes at most 5 GiB in one POST.
   * @default 26_214_400 (25 MiB)
   */
  readonly maxUploadBytes: number;
  readonly uploads: {
    /**
     * Uploads (presigned POSTs from POST /photos) one user may start per UTC day; more is 429 until
     * midnight UTC. Counted atomically in ImageMetadata, so concurrent requests cannot overshoot it.
     * @default 200
     */
    readonly dailyQuotaPerUser: number;
  };
  readonly api: {
    /**
     * Default throttling of every route of the photo API (the stage's default route settings). Like
     * every API Gateway throttle it is shared by all callers, not per user.
     * @default { burstLimit: 50, rateLimit: 20 }
     */
    readonly throttle: ThrottleSettings;
    /**
     * Throttling of each route (the stage's route settings), over the default: POST /photos, the one
     * that hands out uploads, lower than the reads.
     * @default createUpload 10/5, listPhotos 50/20, getPhoto 100/50, deletePhoto 20/10, retryPhoto 10/5 (burst/rate)
     */
    readonly routeThrottles: Readonly<Record<ApiRouteName, ThrottleSettings>>;
  };
  readonly deployment: {
    /**
     * How CodeDeploy moves every function's `live` alias to a new version. A canary or linear
     * preference shifts traffic gradually and rolls back when an alarm fires; ALL_AT_ONCE (for
     * development stages) shifts at once, still after the PreTraffic smoke tests.
     * @default 'CANARY_10PERCENT_5MINUTES'
     */
    readonly functions: FunctionDeploymentPreference;
    /** How the ImageProc state machine's `live` alias moves to a new version. @default CANARY 10% for 5 minutes */
    readonly stateMachine: StateMachineDeploymentPreference;
  };
  readonly alarms: {
    /**
     * An e-mail address told of every alarm and its recovery (an SNS topic with an e-mail subscription
     * the owner must confirm). Without it the alarms still exist, show on the dashboard and roll back
     * deployments. @default undefined: no topic
     */
    readonly email: string | undefined;
    /**
     * A function's error rate (errors / invocations over one minute, in %) that raises its errors alarm
     * and rolls back its deployment. Not 0: the pipeline's functions throw on purpose for corrupt or
     * hostile uploads. @default 10
     */
    readonly functionErrorRatePercent: number;
    /**
     * Failed executions in one minute, not counting rejections (an unsupported type also ends the
     * execution FAILED), that raise the failed-executions alarm and roll back a deployment. @default 3
     */
    readonly failedExecutionsPerMinute: number;
    /** The photo API's p99 latency, in ms over five minutes, that raises its latency alarm. @default 3000 */
    readonly apiLatencyP99Ms: number;
  };
  readonly reprocess: ReprocessSettings;
  /**
   * The dated AWS price table the cost receipt (the photo view, `npm run bench`) is computed with.
   * Prices change: update them, and `asOf`, from the pages cited at DEFAULT_PRICES.
   * @default DEFAULT_PRICES (us-east-1)
   */
  readonly pricing: PriceTable;
  readonly auth: {
    /**
     * Prefix of the Cognito managed login domain, `https://<prefix>.auth.<region>.amazoncognito.com`.
     * Prefixes are unique per region across all AWS accounts: lower-case letters, digits and hyphens,
     * 1-63 characters, and none of the words aws, amazon or cognito.
     * @default `<stackName in lower case>-<account id>` (see cognitoDomainPrefix)
     */
    readonly domainPrefix: string | undefined;
  };
}

/**
 * us-east-1 list prices, as given in issue 12 on 2026-11-26; re-read the pages before relying on them:
 * - Step Functions: https://aws.amazon.com/step-functions/pricing/ (STANDARD $0.025 per 1,000 state
 *   transitions; EXPRESS $1.00 per million requests and $0.00001667 per GB-second, the first tier,
 *   billed in 64 MB and 100 ms increments)
 * - Lambda: https://aws.amazon.com/lambda/pricing/ (arm64 $0.0000133334 per GB-second, the first
 *   tier; $0.20 per million requests)
 * - Rekognition: https://aws.amazon.com/rekognition/pricing/ (DetectLabels, Group 1 APIs: $0.001 per
 *   image for the first million images a month)
 * Free tiers are left out: a receipt says what a photo costs once they are used up.
 */
export const DEFAULT_PRICES: PriceTable = {
  asOf: '2026-11-26',
  region: 'us-east-1',
  stepFunctions: {
    standardPerTransition: 0.000025,
    expressPerRequest: 0.000001,
    expressPerGbSecond: 0.00001667,
  },
  lambda: { perRequest: 0.0000002, perGbSecond: 0.0000133334 },
  rekognition: { detectLabelsPerImage: 0.001 },
};

export const DEFAULT_CONFIG: PipelineConfig = {
  stackName: 'ImageRecognition',
  supportedFormats: ['jpeg', 'png', 'heif', 'avif', 'webp', 'tiff'],
  workflowType: 'STANDARD',
  executionTimeoutSeconds: undefined,
  thumbnail: { maxWidth: 250, maxHeight: 250 },
  maxImagePixels: 50_000_000,
  rendition: { maxSide: 2048 },
  labels: { maxLabels: 10, minConfidence: 70 },
  functions: {
    startExecution: { memoryMb: 256, timeoutSeconds: 30 },
    extractMetadata: { memoryMb: 512, timeoutSeconds: 30 },
    recordPhoto: { memoryMb: 256, timeoutSeconds: 30 },
    // Mostly waits for Rekognition; sharp only ever decodes photos under 80 px a side (enlarged to
    // 80 px, at most 80 x 10,000), a few MB at most.
    detectLabels: { memoryMb: 256, timeoutSeconds: 60 },
    // Decoding a 50 MP JPEG needs about 200 MB of pixels plus sharp's working set; 1.5 GB also buys
    // about one full vCPU.
    generateThumbnail: { memoryMb: 1536, timeoutSeconds: 60 },
    // libheif (WebAssembly) decodes on one thread, so CPU sets the time: 1769 MB is one full vCPU, the
    // fastest a single thread gets at the same GB-seconds. Memory is ample: a 12 MP HEIC peaks at about
    // 0.33 GB, about 19 MB per megapixel, so a 50 MP one (the pixel limit) at about 1.1 GB (npm run
    // bench -- --formats). A 12 MP HEIC takes about 1.2 s of one core, a 50 MP one an estimated 5-7 s;
    // 60 s leaves room for a slower core.
    generateRendition: { memoryMb: 1769, timeoutSeconds: 60 },
    // The API functions read one record or one index page and presign URLs (no network round trip):
    // small and quick. The timeout stays under API Gateway's 30 s integration limit.
    createUpload: { memoryMb: 256, timeoutSeconds: 10 },
    listPhotos: { memoryMb: 256, timeoutSeconds: 10 },
    getPhoto: { memoryMb: 256, timeoutSeconds: 10 },
    deletePhoto: { memoryMb: 256, timeoutSeconds: 10 },
    retryPhoto: { memoryMb: 256, timeoutSeconds: 10 },
    // One conditional UpdateItem per stopped execution.
    reconcilePhoto: { memoryMb: 256, timeoutSeconds: 30 },
    // Two GetItems at most and one conditional UpdateItem per photo of a reprocess run.
    reprocessPhoto: { memoryMb: 256, timeoutSeconds: 30 },
  },
  logRetentionDays: 30,
  dataRemovalPolicy: 'retain',
  maxUploadBytes: 26_214_400,
  uploads: { dailyQuotaPerUser: 200 },
  api: {
    throttle: { burstLimit: 50, rateLimit: 20 },
    routeThrottles: {
      // Each upload costs storage and a pipeline run; the web app asks for three at a time.
      createUpload: { burstLimit: 10, rateLimit: 5 },
      // The web app polls the listing while photos are processing.
      listPhotos: { burstLimit: 50, rateLimit: 20 },
      // A gallery opens photos one by one; a detail is one GetItem and the execution's history.
      getPhoto: { burstLimit: 100, rateLimit: 50 },
      deletePhoto: { burstLimit: 20, rateLimit: 10 },
      // Each retry is a pipeline run, like an upload.
      retryPhoto: { burstLimit: 10, rateLimit: 5 },
    },
  },
  deployment: {
    functions: 'CANARY_10PERCENT_5MINUTES',
    stateMachine: { type: 'CANARY', percentage: 10, intervalMinutes: 5 },
  },
  alarms: {
    email: undefined,
    functionErrorRatePercent: 10,
    failedExecutionsPerMinute: 3,
    apiLatencyP99Ms: 3000,
  },
  reprocess: {
    maxConcurrency: 40,
    detectLabelsTps: 50,
    toleratedFailurePercentage: 5,
    itemSource: 'listObjects',
    inventoryBucket: undefined,
  },
  pricing: DEFAULT_PRICES,
  auth: { domainPrefix: undefined },
};

/** The longest an execution may run: a year for STANDARD workflows, 5 minutes for EXPRESS. */
export const MAX_EXECUTION_SECONDS = { STANDARD: 31_536_000, EXPRESS: 300 } as const;
const DEFAULT_EXECUTION_TIMEOUT_SECONDS = { STANDARD: 900, EXPRESS: 300 } as const;

/** The state machine's TimeoutSeconds: `executionTimeoutSeconds`, else 15 minutes (EXPRESS: 5). */
export function executionTimeoutSeconds(config: PipelineConfig): number {
  return config.executionTimeoutSeconds ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS[config.workflowType];
}

/** S3 accepts at most 5 GiB in one POST upload. */
export const MAX_POST_UPLOAD_BYTES = 5 * 1024 ** 3;

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_DOMAIN_WORDS = /aws|amazon|cognito/;

/**
 * The Cognito domain prefix: `auth.domainPrefix`, else `<stackName in lower case>-<accountId>` (the
 * account id keeps the default unique across accounts; pass `Aws.ACCOUNT_ID` for a deploy-time token).
 */
export function cognitoDomainPrefix(config: PipelineConfig, accountId: string): string {
  if (config.auth.domainPrefix !== undefined) return config.auth.domainPrefix;
  // 63 characters at most: 12 for the account id, one for the hyphen.
  const stem = config.stackName.toLowerCase().slice(0, 50).replace(/-+$/, '');
  return `${stem}-${accountId}`;
}

/** Valid CloudWatch Logs retention values, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

type DeepPartial<T> = {
  -readonly [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};
export type PipelineConfigOverrides = DeepPartial<PipelineConfig>;

/**
 * Merges overrides (from CDK context, or a test) over the defaults and checks the result.
 * Throws one error that lists every problem, so a bad `cdk.json` is fixed in one go.
 */
export function resolveConfig(overrides: PipelineConfigOverrides = {}): PipelineConfig {
  const config = mergeDeep(DEFAULT_CONFIG, overrides) as PipelineConfig;
  const problems = validateConfig(config);
  if (problems.length > 0) {
    throw new Error(`Invalid pipeline config:\n- ${problems.join('\n- ')}`);
  }
  return config;
}

export function validateConfig(config: PipelineConfig): string[] {
  const problems: string[] = [];
  const isInt = (v: unknown, min: number, max: number) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(config.stackName)) {
    problems.push(
      `stackName "${config.stackName}" must start with a letter and hold only letters, digits and hyphens`,
    );
  }
  if (!Array.isArray(config.supportedFormats) || config.supportedFormats.length === 0) {
    problems.push('supportedFormats must list at least one format');
  } else {
    for (const format of config.supportedFormats) {
      if (!KNOWN_FORMATS.includes(format)) {
        problems.push(`supportedFormats: "${format}" is not one of ${KNOWN_FORMATS.join(', ')}`);
      }
    }
  }
  if (config.workflowType !== 'STANDARD' && config.workflowType !== 'EXPRESS') {
    problems.push(`workflowType "${config.workflowType}" must be STANDARD or EXPRESS`);
  } else if (
    config.executionTimeoutSeconds !== undefined &&
    !isInt(config.executionTimeoutSeconds, 1, MAX_EXECUTION_SECONDS[config.workflowType])
  ) {
    problems.push(
      `executionTimeoutSeconds must be a whole number of seconds from 1 to ${MAX_EXECUTION_SECONDS[config.workflowType]} (the longest a ${config.workflowType} execution runs), got ${config.executionTimeoutSeconds}`,
    );
  }
  for (const side of ['maxWidth', 'maxHeight'] as const) {
    if (!isInt(config.thumbnail[side], 16, 4096)) {
      problems.push(
        `thumbnail.${side} must be a whole number of pixels from 16 to 4096, got ${config.thumbnail[side]}`,
      );
    }
  }
  if (!isInt(config.maxImagePixels, 1_000_000, 1_000_000_000)) {
    problems.push(
      `maxImagePixels must be a whole number from 1,000,000 to 1,000,000,000, got ${config.maxImagePixels}`,
    );
  }
  if (!isInt(config.rendition.maxSide, 256, 10_000)) {
    problems.push(
      `rendition.maxSide must be a whole number of pixels from 256 to 10000 (Rekognition's largest side), got ${config.rendition.maxSide}`,
    );
  }
  if (!isInt(config.labels.maxLabels, 1, 1000)) {
    problems.push(`labels.maxLabels must be a whole number from 1 to 1000, got ${config.labels.maxLabels}`);
  }
  if (
    typeof config.labels.minConfidence !== 'number' ||
    config.labels.minConfidence < 0 ||
    config.labels.minConfidence > 100
  ) {
    problems.push(`labels.minConfidence must be a number from 0 to 100, got ${config.labels.minConfidence}`);
  }
  for (const [name, settings] of Object.entries(config.functions)) {
    if (!isInt(settings.memoryMb, 128, 10240)) {
      problems.push(
        `functions.${name}.memoryMb must be a whole number from 128 to 10240, got ${settings.memoryMb}`,
      );
    }
    if (!isInt(settings.timeoutSeconds, 1, 900)) {
      problems.push(
        `functions.${name}.timeoutSeconds must be a whole number from 1 to 900, got ${settings.timeoutSeconds}`,
      );
    }
  }
  if (!LOG_RETENTION_DAYS.includes(config.logRetentionDays)) {
    problems.push(
      `logRetentionDays must be one of CloudWatch's values (${LOG_RETENTION_DAYS.join(', ')}), got ${config.logRetentionDays}`,
    );
  }
  if (config.dataRemovalPolicy !== 'retain' && config.dataRemovalPolicy !== 'destroy') {
    problems.push(`dataRemovalPolicy "${config.dataRemovalPolicy}" must be retain or destroy`);
  }
  if (!isInt(config.maxUploadBytes, 1, MAX_POST_UPLOAD_BYTES)) {
    problems.push(
      `maxUploadBytes must be a whole number of bytes from 1 to ${MAX_POST_UPLOAD_BYTES} (5 GiB, S3's POST limit), got ${config.maxUploadBytes}`,
    );
  }
  if (!isInt(config.uploads.dailyQuotaPerUser, 1, 1_000_000)) {
    problems.push(
      `uploads.dailyQuotaPerUser must be a whole number of uploads from 1 to 1000000, got ${config.uploads.dailyQuotaPerUser}`,
    );
  }
  problems.push(...priceTableProblems(config.pricing));
  problems.push(...throttleProblems('api.throttle', config.api.throttle));
  for (const [route, throttle] of Object.entries(config.api.routeThrottles)) {
    problems.push(...throttleProblems(`api.routeThrottles.${route}`, throttle));
  }
  problems.push(...deploymentProblems(config));
  problems.push(...alarmProblems(config));
  problems.push(...reprocessProblems(config));
  const prefix = config.auth.domainPrefix;
  if (prefix === undefined) {
    if (RESERVED_DOMAIN_WORDS.test(config.stackName.toLowerCase())) {
      problems.push(
        `stackName "${config.stackName}" contains aws, amazon or cognito, which a Cognito domain prefix may not: set auth.domainPrefix`,
      );
    }
  } else if (
    typeof prefix !== 'string' ||
    !DOMAIN_PREFIX.test(prefix) ||
    RESERVED_DOMAIN_WORDS.test(prefix)
  ) {
    problems.push(
      `auth.domainPrefix "${prefix}" must be 1-63 lower-case letters, digits and hyphens (not at either end) without the words aws, amazon or cognito`,
    );
  }
  return problems;
}

function deploymentProblems({ deployment }: PipelineConfig): string[] {
  const problems: string[] = [];
  if (!FUNCTION_DEPLOYMENT_PREFERENCES.includes(deployment.functions)) {
    problems.push(
      `deployment.functions "${deployment.functions}" must be one of ${FUNCTION_DEPLOYMENT_PREFERENCES.join(', ')}`,
    );
  }
  const { type, percentage, intervalMinutes } = deployment.stateMachine;
  if (type !== 'CANARY' && type !== 'LINEAR' && type !== 'ALL_AT_ONCE') {
    problems.push(`deployment.stateMachine.type "${type}" must be CANARY, LINEAR or ALL_AT_ONCE`);
  }
  if (!Number.isInteger(percentage) || percentage < 1 || percentage > 99) {
    problems.push(
      `deployment.stateMachine.percentage must be a whole number from 1 to 99 (the share of executions moved per step), got ${percentage}`,
    );
  }
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1 || intervalMinutes > 2100) {
    problems.push(
      `deployment.stateMachine.intervalMinutes must be a whole number of minutes from 1 to 2100, got ${intervalMinutes}`,
    );
  }
  return problems;
}

/** Distributed Map's MaxConcurrency limit: at most 10,000 child executions at once. */
const MAX_MAP_CONCURRENCY = 10_000;
const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function reprocessProblems({ reprocess }: PipelineConfig): string[] {
  const problems: string[] = [];
  const { maxConcurrency, detectLabelsTps, toleratedFailurePercentage: tolerated } = reprocess;
  if (!Number.isInteger(detectLabelsTps) || detectLabelsTps < 1 || detectLabelsTps > 100_000) {
    problems.push(
      `reprocess.detectLabelsTps must be a whole number of transactions per second from 1 to 100000, got ${detectLabelsTps}`,
    );
  }
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_MAP_CONCURRENCY) {
    problems.push(
      `reprocess.maxConcurrency must be a whole number from 1 to ${MAX_MAP_CONCURRENCY} (Distributed Map's limit), got ${maxConcurrency}`,
    );
  } else if (Number.isInteger(detectLabelsTps) && maxConcurrency > detectLabelsTps) {
    problems.push(
      `reprocess.maxConcurrency (${maxConcurrency}) must not exceed reprocess.detectLabelsTps (${detectLabelsTps}): each photo calls DetectLabels once and takes over a second, so more photos at once would be throttled by Rekognition; raise the quota first`,
    );
  }
  if (typeof tolerated !== 'number' || !(tolerated >= 0 && tolerated <= 100)) {
    problems.push(
      `reprocess.toleratedFailurePercentage must be a percentage from 0 to 100, got ${tolerated}`,
    );
  }
  if (reprocess.itemSource !== 'listObjects' && reprocess.itemSource !== 'inventory') {
    problems.push(`reprocess.itemSource "${reprocess.itemSource}" must be listObjects or inventory`);
  } else if (reprocess.itemSource === 'inventory') {
    if (typeof reprocess.inventoryBucket !== 'string' || !S3_BUCKET_NAME.test(reprocess.inventoryBucket)) {
      problems.push(
        `reprocess.inventoryBucket must name the bucket S3 Inventory writes PhotoRepo's inventory to when reprocess.itemSource is inventory, got ${reprocess.inventoryBucket}`,
      );
    }
  }
  return problems;
}

/** An address SNS accepts for an e-mail subscription: one @, no spaces, a dot in the domain. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function alarmProblems({ alarms }: PipelineConfig): string[] {
  const problems: string[] = [];
  if (alarms.email !== undefined && (typeof alarms.email !== 'string' || !EMAIL.test(alarms.email))) {
    problems.push(`alarms.email "${alarms.email}" must be an e-mail address such as ops@example.com`);
  }
  const {
    functionErrorRatePercent: rate,
    failedExecutionsPerMinute: failed,
    apiLatencyP99Ms: latency,
  } = alarms;
  if (typeof rate !== 'number' || !(rate > 0 && rate <= 100)) {
    problems.push(
      `alarms.functionErrorRatePercent must be a percentage above 0 and at most 100, got ${rate}`,
    );
  }
  if (!Number.isInteger(failed) || failed < 1 || failed > 10_000) {
    problems.push(
      `alarms.failedExecutionsPerMinute must be a whole number of executions from 1 to 10000, got ${failed}`,
    );
  }
  if (!Number.isInteger(latency) || latency < 100 || latency > 30_000) {
    problems.push(
      `alarms.apiLatencyP99Ms must be a whole number of milliseconds from 100 to 30000 (API Gateway's integration limit), got ${latency}`,
    );
  }
  return problems;
}

function throttleProblems(name: string, { burstLimit, rateLimit }: ThrottleSettings): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(burstLimit) || burstLimit < 0 || burstLimit > 5000) {
    problems.push(`${name}.burstLimit must be a whole number from 0 to 5000, got ${burstLimit}`);
  }
  if (typeof rateLimit !== 'number' || !Number.isFinite(rateLimit) || rateLimit < 0 || rateLimit > 10000) {
    problems.push(
      `${name}.rateLimit must be a number of requests per second from 0 to 10000, got ${rateLimit}`,
    );
  }
  return problems;
}

function mergeDeep(base: unknown, overrides: unknown): unknown {
  if (overrides === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(overrides)) return overrides;
  const unknownKeys = Object.keys(overrides).filter((key) => !(key in base));
  if (unknownKeys.length > 0) {
    throw new Error(
      `Invalid pipeline config: unknown setting(s) ${unknownKeys.join(', ')}; see "Configuration" in README.md`,
    );
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) merged[key] = mergeDeep(base[key], value);
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The ImageProc workflow's contract: its state names, what each Task returns, what RecordPhoto
 * receives, the execution's input, and the graph description the web app draws. lib/ builds the state
 * machine from these names and shapes, the handlers validate their input against them, local/ and
 * web/ read executions with them, so a renamed state or a changed result changes everywhere at once.
 *
 * Types and constants only (no runtime imports): web/ bundles it as it bundles api.ts.
 */
import type { ImageMetadata, Label, PhotoRef, Rendition, ThumbnailResult } from './model';

/** Every state of ImageProc, by role. The values are the ASL state names. */
export const STATES = {
  extractImageMetadata: 'ExtractImageMetadata',
  imageTypeCheck: 'ImageTypeCheck',
  storeImageMetadata: 'StoreImageMetadata',
  generateRendition: 'GenerateRendition',
  processImage: 'ProcessImage',
  detectLabels: 'DetectLabels',
  generateThumbnail: 'GenerateThumbnail',
  recordReady: 'RecordReady',
  photoReady: 'PhotoReady',
  recordRejection: 'RecordRejection',
  notSupportedImageType: 'NotSupportedImageType',
  recordFailure: 'RecordFailure',
  imageProcessingFailed: 'ImageProcessingFailed',
} as const;

export type StateName = (typeof STATES)[keyof typeof STATES];

/** Every state name, in the order of the happy path, then the rejection path, then the failure path. */
export const STATE_NAMES: readonly StateName[] = Object.values(STATES);

/** The Amazon States Language's state types. */
export const ASL_STATE_TYPES = [
  'Task',
  'Choice',
  'Parallel',
  'Succeed',
  'Fail',
  'Pass',
  'Wait',
  'Map',
] as const;

export type StateType = (typeof ASL_STATE_TYPES)[number];

/** The ASL type of each state (test/infra checks it against the synthesized definition). */
export const STATE_TYPES: Readonly<Record<StateName, StateType>> = {
  ExtractImageMetadata: 'Task',
  ImageTypeCheck: 'Choice',
  StoreImageMetadata: 'Task',
  GenerateRendition: 'Task',
  ProcessImage: 'Parallel',
  DetectLabels: 'Task',
  GenerateThumbnail: 'Task',
  RecordReady: 'Task',
  PhotoReady: 'Succeed',
  RecordRejection: 'Task',
  NotSupportedImageType: 'Fail',
  RecordFailure: 'Task',
  ImageProcessingFailed: 'Fail',
};

/** The end states: one per outcome (READY, REJECTED, FAILED). */
export const TERMINAL_STATES: readonly StateName[] = [
  STATES.photoReady,
  STATES.notSupportedImageType,
  STATES.imageProcessingFailed,
];

/** The states each outcome passes through, in order, when it goes the whole way without a retry. */
export const OUTCOME_PATHS = {
  READY: [
    STATES.extractImageMetadata,
    STATES.imageTypeCheck,
    STATES.storeImageMetadata,
    STATES.generateRendition,
    STATES.processImage,
    STATES.detectLabels,
    STATES.generateThumbnail,
    STATES.recordReady,
    STATES.photoReady,
  ],
  REJECTED: [
    STATES.extractImageMetadata,
    STATES.imageTypeCheck,
    STATES.recordRejection,
    STATES.notSupportedImageType,
  ],
  /** From wherever the error was caught. */
  FAILED: [STATES.recordFailure, STATES.imageProcessingFailed],
} as const satisfies Record<string, readonly StateName[]>;

/**
 * The Parallel's branches, by the name its ResultSelector gives each branch's result in
 * ProcessImageResult. lib/ adds the branches in this order and builds the selector from it.
 */
export const PROCESS_IMAGE_BRANCHES = {
  labels: STATES.detectLabels,
  thumbnail: STATES.generateThumbnail,
} as const satisfies Record<string, StateName>;

/** The Task states inside ProcessImage's branches. */
export const BRANCH_STATES: readonly StateName[] = Object.values(PROCESS_IMAGE_BRANCHES);

/** Input of the ImageProc state machine, as start-execution sends it. */
export interface WorkflowInput extends PhotoRef {
  /** ISO 8601, from the S3 event's eventTime. */
  readonly uploadedAt: string;
}

/** What DetectLabels returns. */
export interface LabelsResult {
  readonly labels: Label[];
  /** Why there are no labels when Rekognition was not (or could not be) asked; null otherwise. */
  readonly reason: string | null;
  /** The READY photo whose labels these are, when the photo is a byte-identical copy of it (no Rekognition call). */
  readonly duplicateOf?: string | null;
  /** DetectLabels calls Rekognition answered (and bills): 1, or 0 (absent) when it was not asked. */
  readonly rekognitionCalls?: number;
}

/**
 * A READY photo of the same owner with the same bytes (S3 ETag and size) and pipeline version, as
 * StoreImageMetadata finds it: DetectLabels reuses its labels instead of asking Rekognition again.
 */
export interface DuplicateSource {
  readonly photoId: string;
  readonly labels: Label[];
  readonly reason: string | null;
}

/** What StoreImageMetadata (record-photo's `metadata` action) returns to the state machine. */
export interface StoredMetadata {
  readonly written: boolean;
  /** The photo this one is a byte-identical copy of; null when none (or the record was not written). */
  readonly duplicate: DuplicateSource | null;
}

/** What GenerateRendition returns: the rendition, or null when the original serves as it is. */
export interface RenditionResult {
  readonly rendition: Rendition | null;
}

/** ProcessImage's result: each branch's result under its name (PROCESS_IMAGE_BRANCHES), not by position. */
export interface ProcessImageResult {
  readonly labels: LabelsResult;
  readonly thumbnail: ThumbnailResult;
}

/** What each Task state returns, by state name. */
export interface TaskResults {
  readonly ExtractImageMetadata: ImageMetadata;
  readonly StoreImageMetadata: StoredMetadata;
  readonly GenerateRendition: RenditionResult;
  readonly DetectLabels: LabelsResult;
  readonly GenerateThumbnail: ThumbnailResult;
  readonly ProcessImage: ProcessImageResult;
}

/** The error object a Step Functions Catch puts at its ResultPath. */
export interface StepError {
  readonly Error: string;
  /** On AWS, Lambda's JSON ({"errorType","errorMessage","trace"}); locally, often the plain message. */
  readonly Cause?: string;
}

/**
 * Where the state machine keeps each result in the execution's data (JSONPath ResultPath). The data
 * is the WorkflowInput plus these fields as the execution goes.
 */
export const RESULT_PATHS = {
  metadata: '$.metadata',
  stored: '$.stored',
  display: '$.display',
  results: '$.results',
  error: '$.error',
} as const;

/** Requests to the record-photo function: every write the state machine makes to a record. */
export type RecordRequest =
  | {
      readonly action: 'metadata';
      readonly photo: PhotoRef;
      readonly executionId: string;
      readonly metadata: ImageMetadata;
    }
  | {
      readonly action: 'rejected';
      readonly photo: PhotoRef;
      readonly executionId: string;
      readonly metadata: ImageMetadata;
      readonly supportedFormats: string[];
    }
  | {
      readonly action: 'ready';
      readonly photo: PhotoRef;
      readonly executionId: string;
      /** The Parallel state's output (ProcessImage's ResultSelector). */
      readonly results: ProcessImageResult;
      /** GenerateRendition's rendition; null (or absent, from executions started before renditions) when none. */
      readonly rendition?: Rendition | null;
    }
  | {
      readonly action: 'failed';
      readonly photo: PhotoRef;
      readonly executionId: string;
      readonly error: StepError;
    };

/** How one state leads to another in the graph the web app draws. */
export const GRAPH_EDGE_KINDS = ['next', 'choice', 'default', 'catch'] as const;

export type GraphEdgeKind = (typeof GRAPH_EDGE_KINDS)[number];

export interface GraphState {
  readonly name: string;
  readonly type: StateType;
  /** The Parallel (or Map) whose branch holds this state, and the branch's index; absent at the top level. */
  readonly parent?: string;
  readonly branch?: number;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: GraphEdgeKind;
}

/**
 * A compact, pure-data description of a state machine's graph: its states (Parallel branches
 * flattened, each state naming its parent) and every Next, Choice, Default and Catch edge. Made from
 * the synthesized definition by lib/workflow-graph.ts; the web app draws its picture from it.
 */
export interface WorkflowGraph {
  readonly startAt: string;
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
}

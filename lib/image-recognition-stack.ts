import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { ImageProcessing } from './image-processing';
import { PhotoStorage } from './photo-storage';

export interface ImageRecognitionStackProps extends StackProps {
  readonly config: PipelineConfig;
}

/** The whole app in one stack: storage, the ImageProc workflow and its upload trigger. */
export class ImageRecognitionStack extends Stack {
  public readonly storage: PhotoStorage;
  public readonly processing: ImageProcessing;

  constructor(scope: Construct, id: string, props: ImageRecognitionStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.storage = new PhotoStorage(this, 'Storage', { config });
    this.processing = new ImageProcessing(this, 'Processing', {
      config,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
    });

    new CfnOutput(this, 'PhotoRepoBucketName', { value: this.storage.photoRepo.bucketName });
    new CfnOutput(this, 'ImageMetadataTableName', { value: this.storage.imageMetadata.tableName });
    new CfnOutput(this, 'ImageProcStateMachineArn', { value: this.processing.stateMachine.stateMachineArn });
  }
}

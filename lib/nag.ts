import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges the findings every CDK-provided helper function raises (the bucket-notification
 * handler, BucketDeployment): CDK chooses its role, its managed policy and its runtime.
 */
export function acknowledgeCdkHelper(helper: IConstruct): void {
  Validations.of(helper).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "A CDK-provided deployment helper; its execution role is CDK's and not configurable.",
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "A CDK-provided deployment helper; its permissions are CDK's and not configurable.",
    },
    {
      id: 'AwsSolutions-L1',
      reason: 'A CDK-provided deployment helper; CDK picks its runtime and upgrades it with aws-cdk-lib.',
    },
  );
}

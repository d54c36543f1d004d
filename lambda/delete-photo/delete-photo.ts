import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errorName } from '../shared/errors';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  findOwnPhoto,
  noContent,
  photoIdParam,
  respond,
} from '../shared/http';
import type { Log } from '../shared/powertools';

export interface DeletePhotoDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucket: string;
  readonly log: Log;
}

/**
 * DELETE /photos/{photoId}: the original, the thumbnail, then the record. Objects go first, so a
 * failure part-way leaves a record the user can delete again rather than objects nobody can reach.
 */
export async function deletePhoto(event: ApiEvent, deps: DeletePhotoDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const photoId = photoIdParam(event);
    const record = await findOwnPhoto(deps.dynamo, deps.tableName, owner, photoId);
    const keys = [record.originalKey, record.thumbnail?.key].filter((key): key is string => !!key);
    // Deleting a key that is already gone succeeds in S3, so a repeated delete is harmless.
    await Promise.all(
      keys.map((key) => deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }))),
    );
    try {
      await deps.dynamo.send(
        new DeleteCommand({
          TableName: deps.tableName,
          Key: { owner, photoId },
          ConditionExpression: 'attribute_exists(#photoId)',
          ExpressionAttributeNames: { '#photoId': 'photoId' },
        }),
      );
    } catch (error) {
      // A concurrent delete got there first: the photo is gone either way.
      if (
        !(error instanceof ConditionalCheckFailedException) &&
        errorName(error) !== 'ConditionalCheckFailedException'
      ) {
        throw error;
      }
    }
    deps.log.info('Photo deleted', { owner, photoId, keys });
    return noContent();
  });
}

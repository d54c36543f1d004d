import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionStatusChange, rulesFrom, targetsOf } from '../../local/events';
import { type LocalStepFunctions, startStepFunctions } from '../../local/stepfunctions/server';
import { LOCAL_ACCOUNT, LOCAL_REGION, LocalNames, resourcesOfType, synthesize } from '../../local/template';

const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:Photos`;
const aliasArn = `${arn}:live`;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('a state machine alias in the local Step Functions', () => {
  let sfn: LocalStepFunctions;
  let client: SFNClient;

  beforeAll(async () => {
    sfn = await startStepFunctions({
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      stateMachines: [
        {
          arn,
          name: 'Photos',
          type: 'STANDARD',
          aliasArns: [aliasArn],
          definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } },
          taskHandlers: {},
        },
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: LOCAL_REGION, credentials });
  });

  afterAll(async () => {
    client.destroy();
    await sfn.close();
  });

  it('starts the state machine; the execution is the machine’s, with the alias beside it', async () => {
    // Act
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: aliasArn, name: 'through-alias', input: '{}' }),
    );
    await sfn.waitForIdle();
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(executionArn).toBe(
      `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:Photos:through-alias`,
    );
    expect(described).toMatchObject({
      stateMachineArn: arn,
      stateMachineAliasArn: aliasArn,
      status: 'SUCCEEDED',
    });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.[0].executionStartedEventDetails?.stateMachineAliasArn).toBe(aliasArn);
  });

  it('lists an alias’s executions by the alias, and all of them by the state machine', async () => {
    // Prepare
    await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'direct', input: '{}' }));
    await sfn.waitForIdle();

    // Act
    const byAlias = await client.send(new ListExecutionsCommand({ stateMachineArn: aliasArn }));
    const byMachine = await client.send(new ListExecutionsCommand({ stateMachineArn: arn }));

    // Assess
    expect(byAlias.executions?.map((e) => e.name)).toEqual(['through-alias']);
    expect(byMachine.executions?.map((e) => e.name)).toEqual(['direct', 'through-alias']);
  });

  it('refuses an alias the state machine does not have', async () => {
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: `${arn}:prod`, input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('fails to start when an alias names another state machine', async () => {
    await expect(
      startStepFunctions({
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        stateMachines: [
          {
            arn,
            name: 'Photos',
            type: 'STANDARD',
            aliasArns: [`${arn}2:live`],
            definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } },
            taskHandlers: {},
          },
        ],
      }),
    ).rejects.toThrow(/alias ARN '.*Photos2:live' is not .*Photos:<alias>/);
  });
});

describe("the reconciler's rule and executions started through the alias", () => {
  const { template, stackName } = synthesize();
  const names = new LocalNames(stackName, template);
  const [[stateMachineId]] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  const [[aliasId]] = resourcesOfType(template, 'AWS::StepFunctions::StateMachineAlias');
  const machineArn = names.stateMachineArn(stateMachineId);

  it("resolves the template's alias to <state machine ARN>:live", () => {
    expect(names.ref(aliasId)).toBe(`${machineArn}:live`);
  });

  it('delivers the status change of an aborted execution started through the alias to the reconciler alias', () => {
    // Prepare
    const rules = rulesFrom(template, names);
    const event = executionStatusChange(
      {
        executionArn: `${machineArn.replace(':stateMachine:', ':execution:')}:p1`,
        stateMachineArn: machineArn,
        stateMachineAliasArn: `${machineArn}:live`,
        name: 'p1',
        status: 'ABORTED',
        startDate: new Date(0),
        stopDate: new Date(1000),
        input: '{}',
      },
      { region: LOCAL_REGION, account: LOCAL_ACCOUNT, id: 'e1' },
    );

    // Act
    const targets = targetsOf(rules, event);

    // Assess
    expect(event.detail).toMatchObject({
      stateMachineArn: machineArn,
      stateMachineAliasArn: `${machineArn}:live`,
    });
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatch(/:function:.*ReconcilePhoto.*:live$/);
  });
});

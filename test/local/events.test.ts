import { describe, expect, it } from 'vitest';
import { compileEventPattern, executionStatusChange, rulesFrom, targetsOf } from '../../local/events';
import { LocalNames, resourcesOfType, synthesize } from '../../local/template';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:ImageRecognition-ImageProc';
const pattern = {
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
  detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [STATE_MACHINE_ARN] },
};

function statusChange(status: string, stateMachineArn = STATE_MACHINE_ARN) {
  return executionStatusChange(
    {
      executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:p1`,
      stateMachineArn,
      name: 'p1',
      status: status as never,
      startDate: new Date('2025-03-01T10:00:00.000Z'),
      stopDate: new Date('2025-03-01T10:00:03.250Z'),
      input: '{"owner":"alice","photoId":"p1"}',
      error: status === 'FAILED' ? 'States.DataLimitExceeded' : undefined,
      cause: status === 'FAILED' ? 'too big' : undefined,
    },
    { region: 'us-east-1', account: '000000000000', id: 'e1' },
  );
}

describe('compileEventPattern', () => {
  const matches = compileEventPattern(pattern, 'Rule R');

  it('matches an event whose every field is one of the listed values', () => {
    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED']) expect(matches(statusChange(status))).toBe(true);
  });

  it('does not match another status, another state machine, source or detail type', () => {
    expect(matches(statusChange('SUCCEEDED'))).toBe(false);
    expect(matches(statusChange('RUNNING'))).toBe(false);
    expect(matches(statusChange('FAILED', `${STATE_MACHINE_ARN}-other`))).toBe(false);
    expect(matches({ ...statusChange('FAILED'), source: 'aws.s3' })).toBe(false);
    expect(matches({ ...statusChange('FAILED'), 'detail-type': 'Object Created' })).toBe(false);
  });

  it('does not match an event that lacks a field of the pattern', () => {
    const { detail, ...withoutDetail } = statusChange('FAILED');
    expect(detail).toBeDefined();
    expect(matches(withoutDetail)).toBe(false);
    expect(matches({ ...statusChange('FAILED'), detail: { status: 'FAILED' } })).toBe(false);
  });

  it('matches a list in the event when one of its elements matches', () => {
    const byResource = compileEventPattern({ resources: ['arn:b'] }, 'Rule R');
    expect(byResource({ resources: ['arn:a', 'arn:b'] })).toBe(true);
    expect(byResource({ resources: ['arn:a'] })).toBe(false);
  });

  it('compares values exactly: numbers, booleans and null too', () => {
    const exact = compileEventPattern({ detail: { n: [5], b: [true], z: [null] } }, 'Rule R');
    expect(exact({ detail: { n: 5, b: true, z: null } })).toBe(true);
    expect(exact({ detail: { n: '5', b: true, z: null } })).toBe(false);
  });

  it('takes the pattern as JSON text too, as a template may give it', () => {
    expect(compileEventPattern(JSON.stringify(pattern), 'Rule R')(statusChange('ABORTED'))).toBe(true);
  });

  it.each([
    [
      { source: [{ prefix: 'aws.' }] },
      /"source": content filters such as \{"prefix":"aws\."\} are not supported/,
    ],
    [{ detail: { status: [{ 'anything-but': 'SUCCEEDED' }] } }, /"detail\.status": content filters/],
    [{ detail: { error: [{ exists: true }] } }, /"detail\.error": content filters/],
    [{ $or: [{ source: ['a'] }] }, /"\$or": \$or is not supported/],
    [{ source: 'aws.states' }, /"source": a field must be a non-empty list of values or an object/],
    [{ source: [] }, /"source": a field must be a non-empty list/],
    [{}, /must be a non-empty JSON object/],
    ['{not json', /is not JSON/],
  ])('fails at start-up when the pattern is %j, naming the rule and field', (bad, message) => {
    expect(() => compileEventPattern(bad, 'Rule R')).toThrow(/^Rule R: /);
    expect(() => compileEventPattern(bad, 'Rule R')).toThrow(message);
  });
});

describe('executionStatusChange', () => {
  it('has the shape Step Functions sends to EventBridge', () => {
    expect(statusChange('FAILED')).toEqual({
      version: '0',
      id: 'e1',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '000000000000',
      time: '2025-03-01T10:00:03Z',
      region: 'us-east-1',
      resources: [`${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:p1`],
      detail: {
        executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:p1`,
        stateMachineArn: STATE_MACHINE_ARN,
        name: 'p1',
        status: 'FAILED',
        startDate: 1740823200000,
        stopDate: 1740823203250,
        input: '{"owner":"alice","photoId":"p1"}',
        output: null,
        error: 'States.DataLimitExceeded',
        cause: 'too big',
      },
    });
  });
});

describe('rulesFrom the app template', () => {
  const { template, stackName } = synthesize();
  const names = new LocalNames(stackName, template);
  const rules = rulesFrom(template, names);
  const [[machineId]] = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  const imageProc = names.stateMachineArn(machineId);

  it('finds the reconciler rule and sends ImageProc’s stopped executions to ReconcilePhoto', () => {
    expect(rules.map((rule) => rule.id)).toEqual([expect.stringMatching(/^ReconcilerExecutionStoppedRule/)]);
    const [target] = targetsOf(rules, statusChange('ABORTED', imageProc));
    expect(target).toMatch(
      /^arn:aws:lambda:us-east-1:000000000000:function:ImageRecognition-ReconcilerReconcilePhotoFunction/,
    );
  });

  it('sends it nothing for a succeeded execution, or another state machine’s', () => {
    expect(targetsOf(rules, statusChange('SUCCEEDED', imageProc))).toEqual([]);
    expect(targetsOf(rules, statusChange('FAILED', `${imageProc}-other`))).toEqual([]);
  });

  it('fails when EventBridge has no permission to invoke the target', () => {
    const withoutPermission = {
      ...template,
      Resources: Object.fromEntries(
        Object.entries(template.Resources).filter(
          ([, r]) =>
            !(r.Type === 'AWS::Lambda::Permission' && r.Properties?.Principal === 'events.amazonaws.com'),
        ),
      ),
    };
    expect(() => rulesFrom(withoutPermission, new LocalNames(stackName, withoutPermission))).toThrow(
      /no AWS::Lambda::Permission lets EventBridge invoke/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../../lambda/shared/workflow';
import { definitionFromTemplate, workflowGraph } from '../../lib/workflow-graph';
import { LAYOUT, layoutGraph } from '../../web/src/state-machine-svg';
import { synthTemplate } from '../infra/synth';

const [stateMachine] = Object.values(synthTemplate().findResources('AWS::StepFunctions::StateMachine'));
const graph = workflowGraph(definitionFromTemplate(stateMachine.Properties.DefinitionString));
const layout = layoutGraph(graph);

describe('the state machine picture, from the synthesized definition', () => {
  it('has a place in the layout for every state of the definition, and no place for any other', () => {
    // A state renamed or added in lib/ is drawn below the picture until the layout names it.
    expect(graph.states.map((state) => state.name).sort()).toEqual(Object.keys(LAYOUT).sort());
    expect([...layout.boxes.keys()].sort()).toEqual([...STATE_NAMES].sort());
    expect(layout.height).toBe(580);
  });

  it('draws every edge of the definition where the hand-drawn picture had it', () => {
    const edges = layout.edges.map(({ from, to, points, error }) => ({ from, to, points, error }));
    const edge = (from: string, to: string, points: [number, number][], error = false) => ({
      from,
      to,
      points,
      error,
    });
    expect(edges).toHaveLength(16);
    expect(edges).toEqual(
      expect.arrayContaining([
        edge('start', 'ExtractImageMetadata', [
          [170, 18],
          [170, 28],
        ]),
        edge('ExtractImageMetadata', 'ImageTypeCheck', [
          [170, 72],
          [170, 100],
        ]),
        edge('ImageTypeCheck', 'StoreImageMetadata', [
          [170, 160],
          [170, 188],
        ]),
        edge('StoreImageMetadata', 'GenerateRendition', [
          [170, 232],
          [170, 260],
        ]),
        edge('GenerateRendition', 'ProcessImage', [
          [170, 304],
          [170, 332],
        ]),
        edge('ProcessImage', 'RecordReady', [
          [170, 422],
          [170, 450],
        ]),
        edge('RecordReady', 'PhotoReady', [
          [170, 494],
          [170, 522],
        ]),
        edge('ImageTypeCheck', 'RecordRejection', [
          [258, 130],
          [365, 130],
        ]),
        edge('RecordRejection', 'NotSupportedImageType', [
          [450, 152],
          [450, 180],
        ]),
        edge('RecordFailure', 'ImageProcessingFailed', [
          [450, 494],
          [450, 522],
        ]),
        ...(
          [
            ['ExtractImageMetadata', 255, 50],
            ['StoreImageMetadata', 255, 210],
            ['GenerateRendition', 255, 282],
            ['ProcessImage', 330, 377],
          ] as const
        ).map(([from, x, y]) =>
          edge(
            from,
            'RecordFailure',
            [
              [x, y],
              [348, y],
              [348, 472],
              [365, 472],
            ],
            true,
          ),
        ),
        edge(
          'RecordReady',
          'RecordFailure',
          [
            [255, 472],
            [365, 472],
          ],
          true,
        ),
        edge(
          'RecordRejection',
          'RecordFailure',
          [
            [535, 130],
            [550, 130],
            [550, 472],
            [535, 472],
          ],
          true,
        ),
      ]),
    );
  });

  it('labels the Choice’s edges', () => {
    const labels = layout.edges
      .filter((edge) => edge.label)
      .map(({ from, to, label }) => ({ from, to, label }));
    expect(labels).toEqual([
      {
        from: 'ImageTypeCheck',
        to: 'StoreImageMetadata',
        label: { text: 'supported type', x: 178, y: 178, anchor: 'start' },
      },
      {
        from: 'ImageTypeCheck',
        to: 'RecordRejection',
        label: { text: 'other', x: 312, y: 124, anchor: 'middle' },
      },
    ]);
  });

  it('draws a state the layout does not know in a row below, with its edges', () => {
    const renamed = {
      ...graph,
      states: graph.states.map((state) =>
        state.name === 'RecordReady' ? { ...state, name: 'RecordSuccess' } : state,
      ),
      edges: graph.edges.map((edge) => ({
        ...edge,
        from: edge.from === 'RecordReady' ? 'RecordSuccess' : edge.from,
        to: edge.to === 'RecordReady' ? 'RecordSuccess' : edge.to,
      })),
    };
    const drawn = layoutGraph(renamed);
    expect(drawn.boxes.get('RecordSuccess')).toMatchObject({ y: 588, shape: 'task' });
    expect(drawn.height).toBe(652);
    expect(
      drawn.edges.filter((edge) => edge.from === 'RecordSuccess' || edge.to === 'RecordSuccess'),
    ).toHaveLength(3);
  });
});

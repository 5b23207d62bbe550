import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeSchedule, findCycle, indexGraph, makespanLowerBound, topologicalOrder, type GraphNode } from '../src/core/graph.js';

const node = (id: string, dependsOn: string[] = [], estimateMinutes = 60, done = false): GraphNode => ({ id, dependsOn, estimateMinutes, done });

/** Indexes, orders and analyzes an acyclic graph. */
function analyze(nodes: GraphNode[]) {
  const { graph, unknown } = indexGraph(nodes);
  assert.deepEqual(unknown, []);
  const order = topologicalOrder(graph);
  assert.ok(order, 'graph is acyclic');
  return named(nodes, graph, order);
}

/** The schedule analysis keyed by id, as a reader would check it. */
function named(nodes: GraphNode[], graph: ReturnType<typeof indexGraph>['graph'], order: Int32Array) {
  const a = analyzeSchedule(nodes, graph, order);
  const ids = (xs: number[]) => xs.map((i) => graph.ids[i]!);
  const by = <T>(arr: ArrayLike<T>) => Object.fromEntries(graph.ids.map((id, i) => [id, arr[i]!]));
  return {
    phases: a.phases.map(ids),
    criticalPath: ids(a.criticalPath),
    criticalPathMinutes: a.criticalPathMinutes,
    totalMinutes: a.totalMinutes,
    phase: by(a.phase),
    slack: by(a.slack),
    tail: by(a.tail),
    earliestStart: by(a.earliestStart),
    critical: by(Array.from(a.critical, (c) => c === 1)),
  };
}

describe('indexGraph', () => {
  it('reports dependencies on ids that are not in the graph', () => {
    const { unknown } = indexGraph([node('a', ['ghost']), node('b', ['a'])]);
    assert.deepEqual(unknown, [{ from: 'a', missing: 'ghost' }]);
  });
});

describe('findCycle', () => {
  it('returns the cycle in dependency order, first member repeated at the end', () => {
    // a -> b -> c -> a (a depends on b, b on c, c on a); d hangs off the cycle.
    const { graph } = indexGraph([node('a', ['b']), node('b', ['c']), node('c', ['a']), node('d', ['a'])]);
    const cycle = findCycle(graph);
    assert.ok(cycle);
    assert.equal(cycle[0], cycle.at(-1));
    assert.equal(cycle.length, 4);
    // Each member depends on the next one.
    const deps = new Map([['a', 'b'], ['b', 'c'], ['c', 'a']]);
    for (let i = 0; i + 1 < cycle.length; i++) assert.equal(deps.get(cycle[i]!), cycle[i + 1]);
  });

  it('finds a self-dependency', () => {
    assert.deepEqual(findCycle(indexGraph([node('x'), node('y', ['y'])]).graph), ['y', 'y']);
  });

  it('returns null for a DAG, and topologicalOrder returns null for a cyclic graph', () => {
    assert.equal(findCycle(indexGraph([node('a'), node('b', ['a']), node('c', ['a', 'b'])]).graph), null);
    assert.equal(topologicalOrder(indexGraph([node('a', ['b']), node('b', ['a'])]).graph), null);
  });
});

describe('topologicalOrder', () => {
  it('puts every dependency before its dependents, ties in input order', () => {
    const nodes = [node('deploy', ['api', 'web']), node('web', ['models']), node('api', ['models']), node('models'), node('docs')];
    const { graph } = indexGraph(nodes);
    const order = Array.from(topologicalOrder(graph)!, (i) => graph.ids[i]!);
    assert.deepEqual(order, ['models', 'docs', 'web', 'api', 'deploy']);
  });
});

describe('analyzeSchedule', () => {
  // models(60) -> api(120) -> deploy(30); models -> web(30) -> deploy; docs(45) alone.
  const diamond = () => [node('models', [], 60), node('api', ['models'], 120), node('web', ['models'], 30), node('deploy', ['api', 'web'], 30), node('docs', [], 45)];

  it('phases: 1 + the highest phase of the dependencies, starting at 1', () => {
    const a = analyze(diamond());
    assert.deepEqual(a.phases, [['models', 'docs'], ['api', 'web'], ['deploy']]);
    assert.deepEqual(a.phase, { models: 1, api: 2, web: 2, deploy: 3, docs: 1 });
  });

  it('critical path by estimate, its length, total work', () => {
    const a = analyze(diamond());
    assert.deepEqual(a.criticalPath, ['models', 'api', 'deploy']);
    assert.equal(a.criticalPathMinutes, 210);
    assert.equal(a.totalMinutes, 285);
    assert.deepEqual(a.critical, { models: true, api: true, web: false, deploy: true, docs: false });
  });

  it('slack: how long a task can slip without delaying the end', () => {
    const a = analyze(diamond());
    assert.deepEqual(a.slack, { models: 0, api: 0, web: 90, deploy: 0, docs: 165 });
    assert.deepEqual(a.earliestStart, { models: 0, api: 60, web: 60, deploy: 180, docs: 0 });
    assert.deepEqual(a.tail, { models: 210, api: 150, web: 60, deploy: 30, docs: 45 });
  });

  it('done tasks take no time and are in no phase, but still order their dependents', () => {
    const nodes = [node('schema', [], 60, true), node('repo', ['schema'], 90), node('search', ['schema'], 60)];
    const a = analyze(nodes);
    assert.deepEqual(a.phases, [['repo', 'search']]);
    assert.equal(a.phase.schema, 0);
    assert.equal(a.totalMinutes, 150);
    assert.deepEqual(a.criticalPath, ['repo']);
    assert.equal(a.slack.search, 30);
  });

  it('an empty graph has no phases and no critical path', () => {
    const a = analyze([]);
    assert.deepEqual(a.phases, []);
    assert.deepEqual(a.criticalPath, []);
    assert.equal(a.criticalPathMinutes, 0);
  });
});

describe('makespanLowerBound', () => {
  it('is the larger of the critical path and the work spread over the workers', () => {
    assert.equal(makespanLowerBound(210, 285, 1), 285);
    assert.equal(makespanLowerBound(210, 285, 4), 210);
    assert.equal(makespanLowerBound(100, 900, 3), 300);
    // Zero or negative concurrency is treated as one worker, never a division by zero.
    assert.equal(makespanLowerBound(10, 50, 0), 50);
  });
});

describe('scale (no recursion; a quadratic step would run into the test timeout)', () => {
  const N = 100_000;

  it('a 100k-node chain', () => {
    const nodes: GraphNode[] = [];
    for (let i = 0; i < N; i++) nodes.push(node(`t${i}`, i === 0 ? [] : [`t${i - 1}`], 1));
    const { graph } = indexGraph(nodes);
    assert.equal(findCycle(graph), null);
    const a = named(nodes, graph, topologicalOrder(graph)!);
    assert.equal(a.phases.length, N);
    assert.equal(a.criticalPath.length, N);
    assert.equal(a.criticalPathMinutes, N);
  });

  it('a 100k-node chain closed into a cycle is found without overflowing the stack', () => {
    const nodes: GraphNode[] = [];
    for (let i = 0; i < N; i++) nodes.push(node(`t${i}`, [`t${(i + 1) % N}`], 1));
    const cycle = findCycle(indexGraph(nodes).graph);
    assert.equal(cycle?.length, N + 1);
  });

  it('a 100k-node wide graph (one root, everything on it, one sink)', () => {
    const nodes: GraphNode[] = [node('root', [], 10)];
    const middle: string[] = [];
    for (let i = 0; i < N; i++) {
      nodes.push(node(`m${i}`, ['root'], i === N - 1 ? 20 : 5));
      middle.push(`m${i}`);
    }
    nodes.push(node('sink', middle, 1));
    const { graph } = indexGraph(nodes);
    const a = named(nodes, graph, topologicalOrder(graph)!);
    assert.equal(a.phases.length, 3);
    assert.equal(a.phases[1]!.length, N);
    assert.deepEqual(a.criticalPath, ['root', `m${N - 1}`, 'sink']);
    assert.equal(a.criticalPathMinutes, 31);
    assert.equal(a.slack.m0, 15);
    assert.equal(makespanLowerBound(a.criticalPathMinutes, a.totalMinutes, 8), (10 + 5 * (N - 1) + 20 + 1) / 8);
  });
});

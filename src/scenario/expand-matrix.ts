import type { ResolvedCombo, ResolvedMatrix, ResolvedScenario } from './resolved-scenario.js';

/** The cartesian product connections × rate × size, filtered by `include`, extended and cut by `exclude`. */
export function expandMatrix(matrix: ResolvedMatrix): ResolvedScenario[] {
  const combos: Required<ResolvedCombo>[] = [];
  for (const connections of matrix.connections) {
    for (const ratePerConnection of matrix.ratePerConnection) {
      for (const messageBytes of matrix.messageBytes) combos.push({ connections, ratePerConnection, messageBytes });
    }
  }
  let kept = matrix.include.length === 0 ? combos : combos.filter((combo) => matrix.include.some((partial) => comboMatches(combo, partial)));
  for (const partial of matrix.include) {
    if (isComplete(partial) && !kept.some((combo) => comboMatches(combo, partial))) kept = [...kept, partial];
  }
  kept = kept.filter((combo) => !matrix.exclude.some((partial) => comboMatches(combo, partial)));
  const { include: _include, exclude: _exclude, connections: _c, ratePerConnection: _r, messageBytes: _b, name: prefix, ...common } = matrix;
  return kept.map((combo) => ({
    ...common,
    name: `${prefix}-${combo.connections}c-${combo.ratePerConnection}r-${combo.messageBytes}b`,
    ...combo,
    matrix: prefix,
  }));
}

function comboMatches(combo: Required<ResolvedCombo>, partial: ResolvedCombo): boolean {
  return (
    (partial.connections === undefined || partial.connections === combo.connections) &&
    (partial.ratePerConnection === undefined || partial.ratePerConnection === combo.ratePerConnection) &&
    (partial.messageBytes === undefined || partial.messageBytes === combo.messageBytes)
  );
}

function isComplete(combo: ResolvedCombo): combo is Required<ResolvedCombo> {
  return combo.connections !== undefined && combo.ratePerConnection !== undefined && combo.messageBytes !== undefined;
}

/**
 * The layers of src/, top to bottom; a module may import from its own layer's folder and from layers
 * below it, never from a layer above it or from a sibling on the same rank (see README "Architecture").
 * Written as dependency-cruiser `forbidden` rules so a wrong-way import fails `npm test` and CI.
 */
const LAYERS = [
  ['cli'],
  ['report'],
  ['capacity', 'compare', 'shard'],
  ['run'],
  ['scenario'],
  ['driver', 'plan', 'targets'],
  ['metrics'],
  ['shared'],
];

// `shared` is the loose files at the root of src/ (errors, units, number formatting, tool info, JSON
// writing): leaves every layer may use. index.ts is the library's front door, not a layer.
const pathOf = (layer) => (layer === 'shared' ? '^src/(?!index\\.ts$)[^/]+\\.ts$' : `^src/${layer}/`);

const wrongWay = LAYERS.flatMap((rank, r) =>
  rank.map((layer) => {
    const above = LAYERS.slice(0, r).flat();
    const siblings = rank.filter((other) => other !== layer);
    const forbidden = [...above, ...siblings];
    return {
      name: `${layer}-imports-down-only`,
      comment: `${layer} may import only from layers below it (${LAYERS.slice(r + 1).flat().join(', ')}); not from ${forbidden.join(', ')}. Move the shared piece down instead.`,
      severity: 'error',
      from: { path: pathOf(layer) },
      to: { path: [...forbidden.map(pathOf), '^src/index\\.ts$'] },
    };
  }),
).filter((rule) => rule.to.path.length > 0);

module.exports = {
  forbidden: [
    ...wrongWay,
    {
      name: 'index-not-cli',
      comment: 'The library (src/index.ts) must not pull in a CLI command: programs that import wsbench get no argv parsing or process.exit.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles: two modules that need each other are one concern, or one owns a type the other should import.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a moved file).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

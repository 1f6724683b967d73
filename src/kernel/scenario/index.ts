/** The demo scenarios, as data for the CLI and the visualizer. */
export * from './levels.js';
export * from './pks-demo.js';
export * from './stack-diagram.js';
export * from './pkrs-invariants.js';
export * from './stack-invariants.js';

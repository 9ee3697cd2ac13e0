// The dashboard against the golden record fixture (docs/records.md "The fixture"):
//   node --test Tests/Dashboard/
// A field added to a record fails here until RECORD_FIELDS and docs/records.md know it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RECORD_FIELDS, RunData, VERDICTS, layerIndex } from '../../public/js/data.js';

const root = new URL('../../', import.meta.url);
const records = readFileSync(new URL('Tests/Fixtures/records/run.ndjson', root), 'utf8')
  .split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line));
const ofType = (type) => records.filter((r) => r.type === type);

// Values, not paths further down: a map from alert kind to count, and an arbitrary spec patch.
const OPAQUE = new Set(['report.alerts', 'report.remedies.change']);

/** A record's key paths, "<type>.<key>.<key>…": arrays of objects are transparent. */
function keyPaths(record) {
  const out = new Set();
  const walk = (obj, prefix) => {
    for (const [key, value] of Object.entries(obj)) {
      const path = `${prefix}.${key}`;
      out.add(path);
      if (OPAQUE.has(path) || value === null || typeof value !== 'object') continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) walk(item, path);
      }
    }
  };
  walk(record, record.type);
  return out;
}

const fixturePaths = new Set(records.flatMap((r) => [...keyPaths(r)]));

test('the fixture has every record type, start first and report last', () => {
  assert.equal(records[0].type, 'start');
  assert.equal(records.at(-1).type, 'report');
  for (const type of ['start', 'step', 'epoch', 'alert', 'summary', 'report']) assert.ok(ofType(type).length, type);
});

test('the dashboard knows every record field of the fixture', () => {
  const known = new Set(RECORD_FIELDS);
  assert.equal(known.size, RECORD_FIELDS.length, 'RECORD_FIELDS lists a path twice');
  const missing = [...fixturePaths].filter((p) => !known.has(p)).sort();
  assert.deepEqual(missing, [], `a record field the dashboard does not know: add it to RECORD_FIELDS in public/js/data.js ` +
    `(read it or say why it is ignored): ${missing.join(', ')}`);
});

/** Each record as app.js's JobStream handlers pass it on (the event is named after its type). */
function feed(list) {
  const run = new RunData(500);
  for (const rec of list) {
    switch (rec.type) {
      case 'start': run.setStart(rec); break;
      case 'step': run.addStep(rec); break;
      case 'epoch': run.addEpoch(rec); break;
      case 'alert': run.addAlert(rec); break;
      case 'summary': run.summary = rec; break;
      case 'report': run.report = rec; break;
      default: assert.fail(`a record type the dashboard has no handler for: ${rec.type}`);
    }
  }
  return run;
}

test('the fixture fed through RunData the way the app feeds it', () => {
  const run = feed(records);
  const [start] = ofType('start');
  const steps = ofType('step');
  const [report] = ofType('report');

  assert.equal(run.isExternal, false);
  assert.equal(run.totalSteps, start.total_steps);
  assert.deepEqual(run.edges, { bins: start.hist_edges.bins, lo: Math.log10(start.hist_edges.min), hi: Math.log10(start.hist_edges.max) });

  // every step kept, for the charts and (an engine job's, fewer than the limit) for the slider
  assert.equal(run.steps.length, steps.length);
  assert.deepEqual([...run.steps.values], steps.map((s) => s.step));
  assert.equal(run.snapshots.length, steps.length);
  assert.equal(run.lastStep, steps.at(-1).step);
  assert.deepEqual(run.layerNames, start.layers.filter((l) => l.has_parameters).map((l) => l.name));

  // a step with NaN/Inf gradients draws its norms as non-finite, not as the 0 the record may say
  steps.forEach((s, i) => {
    const norm = run.gradNorm.values[i];
    if (s.nonfinite_grads > 0) assert.ok(Number.isNaN(norm), `step ${s.step}`);
    else assert.equal(norm, s.grad_norm, `step ${s.step}`);
  });
  assert.ok(steps.some((s) => s.nonfinite_grads > 0), 'the fixture has steps with NaN/Inf gradients');

  // the first step's histograms and update ratios, layer by layer
  const first = run.snapshots.at(0);
  steps[0].layers.forEach((l, i) => {
    assert.deepEqual([...first.counts.subarray(i * first.bins, (i + 1) * first.bins)], l.hist.counts, l.name);
    assert.equal(first.updateRatio[i], Math.fround(l.update_ratio), l.name);
  });

  // δ of the dense layers, dead fractions of the ReLU layers, profiles of the recurrent ones
  const signals = steps[0].signals;
  assert.deepEqual(run.denseNames, signals.filter((s) => s.kind === 'dense').map((s) => s.name));
  assert.deepEqual(run.actNames, signals.filter((s) => 'dead_fraction' in s || 'saturated_fraction' in s).map((s) => s.name));
  assert.ok(run.actNames.length, 'the fixture has an activation layer');
  assert.equal(run.isRecurrent, true);
  assert.deepEqual(run.firstProfiles.map((p) => p.label), steps[0].recurrent.map((r) => r.layer));
  assert.equal(run.firstProfiles[0].norms.length, steps[0].recurrent[0].hidden_grad_norms.length);

  // validation losses per epoch, alerts as they came, the report
  assert.deepEqual([...run.valSteps.values], ofType('epoch').map((e) => e.step));
  assert.deepEqual(run.alerts.map((a) => a.kind), ofType('alert').map((a) => a.kind));
  assert.equal(run.report.verdict, report.verdict);
  assert.ok(VERDICTS.includes(run.report.verdict));
  assert.ok(layerIndex(run.layerNames, report.first_layer) >= 0, 'the heatmap can outline the report\'s first layer');
});

test('a start record sent again on reconnect, and steps already had, change nothing', () => {
  const run = feed(records);
  for (const rec of records) {
    if (rec.type === 'start') assert.equal(run.setStart(rec), false);
    if (rec.type === 'step') assert.equal(run.addStep(rec), false);
  }
  assert.equal(run.steps.length, ofType('step').length);
});

/**
 * docs/records.md split into the sections of the record types ("### start" …), each up to
 * the next heading of level 3 or above.
 */
function docSections() {
  const text = readFileSync(new URL('docs/records.md', root), 'utf8');
  const sections = new Map();
  let current = null;
  for (const line of text.split('\n')) {
    const h = /^(#{1,3}) (.*)$/.exec(line);
    if (h) { current = h[1] === '###' ? h[2].trim() : null; if (current) sections.set(current, ''); continue; }
    if (current) sections.set(current, sections.get(current) + line + '\n');
  }
  return sections;
}

test('every record field is documented in its record type\'s section of docs/records.md', () => {
  const sections = docSections();
  const undocumented = [...new Set([...fixturePaths, ...RECORD_FIELDS])].filter((path) => {
    const parts = path.split('.');
    const section = sections.get(parts[0]);
    return !section || !section.includes(`\`${parts.at(-1)}\``);
  }).sort();
  assert.deepEqual(undocumented, [], `record fields not documented in docs/records.md (as \`name\` in the "### <type>" section ` +
    `of their record): ${undocumented.join(', ')}`);
});

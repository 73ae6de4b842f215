#!/usr/bin/env node
// Prints the comparison tables of bench/run.sh from the JSON lines of
// bench_verify (--ratls) and of anchor.mjs (--anchor). The line formats are
// described at the top of bench/run.sh.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node table.mjs --anchor FILE [--ratls FILE]

  --anchor FILE  JSON lines printed by anchor.mjs
  --ratls FILE   JSON lines printed by bench_verify. Without it, only the
                 anchor figures are printed.`;

// The warm path still checks three ECDSA P-256 signatures (PCK leaf
// certificate, QE report, quote), and its target is at most this multiple
// of their raw cost.
const WARM_ECDSA_COUNT = 3;
const WARM_TARGET_FACTOR = 1.5;

const TIMING_FIELDS = ['median_ms', 'p10_ms', 'p90_ms', 'min_ms'];
const EXPECTED_RATLS_CASES = ['tdx_full', 'tdx_warm', 'sgx_full', 'sgx_warm', 'ecdsa_p256_verify'];

function readJsonLines(path, requiredStringFields) {
  const records = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') {
      return;
    }
    let record;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}:${index + 1}: invalid JSON line (${error.message}): ${line}`);
    }
    for (const field of requiredStringFields) {
      if (typeof record[field] !== 'string') {
        throw new Error(`${path}:${index + 1}: missing string field "${field}": ${line}`);
      }
    }
    for (const field of TIMING_FIELDS) {
      if (!(typeof record[field] === 'number' && record[field] > 0)) {
        throw new Error(`${path}:${index + 1}: field "${field}" is missing or not a positive number: ${line}`);
      }
    }
    records.push(record);
  });
  return records;
}

function formatTable(header, rows) {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => String(row[column]).length)),
  );
  const formatRow = (row) =>
    row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ').trimEnd();
  return [formatRow(header), formatRow(widths.map((width) => '-'.repeat(width))), ...rows.map(formatRow)].join('\n');
}

const ms = (value) => value.toFixed(3);
const ratio = (value) => `${value.toFixed(2)}x`;

function printAnchorTable(anchors) {
  const rows = anchors.map((anchor) => [
    anchor.sample,
    `${anchor.package} ${anchor.version}`,
    ms(anchor.median_ms),
    ms(anchor.p10_ms),
    ms(anchor.p90_ms),
    ms(anchor.min_ms),
    anchor.iterations ?? '',
  ]);
  console.log('Anchors (ms per verify call)');
  console.log(formatTable(['sample', 'package', 'median', 'p10', 'p90', 'min', 'calls'], rows));
}

// Maps each sample to the anchor with the lowest median on it.
function findFasterAnchors(anchors) {
  const fasterBySample = new Map();
  for (const anchor of anchors) {
    const current = fasterBySample.get(anchor.sample);
    if (current === undefined || anchor.median_ms < current.median_ms) {
      fasterBySample.set(anchor.sample, anchor);
    }
  }
  return fasterBySample;
}

function printRatioTable(ratlsCases, anchors) {
  const fasterBySample = findFasterAnchors(anchors);
  const rows = [];
  for (const ratlsCase of ratlsCases) {
    if (typeof ratlsCase.sample !== 'string') {
      continue;
    }
    const anchor = fasterBySample.get(ratlsCase.sample);
    if (anchor === undefined) {
      rows.push([ratlsCase.case, ratlsCase.sample, ms(ratlsCase.median_ms), 'no anchor for this sample', '', '', '']);
      continue;
    }
    rows.push([
      ratlsCase.case,
      ratlsCase.sample,
      ms(ratlsCase.median_ms),
      `${anchor.package} ${anchor.version}`,
      ms(anchor.median_ms),
      ratio(anchor.median_ms / ratlsCase.median_ms),
      ratio(anchor.p10_ms / ratlsCase.p10_ms),
    ]);
  }
  console.log('\nratls against the faster anchor (ratio = anchor time / ratls time, so > 1 means ratls is faster)');
  console.log(
    formatTable(
      ['case', 'sample', 'ratls median ms', 'faster anchor', 'anchor median ms', 'ratio (median)', 'ratio (p10)'],
      rows,
    ),
  );
}

function printWarmTable(ratlsCases) {
  const ecdsa = ratlsCases.find((ratlsCase) => ratlsCase.case === 'ecdsa_p256_verify');
  const warmCases = ratlsCases.filter((ratlsCase) => ratlsCase.case.endsWith('_warm'));
  console.log(
    `\nWarm path against ${WARM_ECDSA_COUNT} raw ECDSA P-256 verifies ` +
      `(target: warm median <= ${WARM_TARGET_FACTOR} x ${WARM_ECDSA_COUNT} x ecdsa_p256_verify median)`,
  );
  if (ecdsa === undefined) {
    console.log('bench_verify printed no ecdsa_p256_verify case, so the warm-path ratio is not available.');
    return;
  }
  const ecdsaCostMs = WARM_ECDSA_COUNT * ecdsa.median_ms;
  const rows = warmCases.map((warmCase) => {
    const factor = warmCase.median_ms / ecdsaCostMs;
    return [
      warmCase.case,
      warmCase.sample ?? '',
      ms(warmCase.median_ms),
      ms(ecdsaCostMs),
      ratio(factor),
      factor <= WARM_TARGET_FACTOR ? 'met' : 'missed',
    ];
  });
  console.log(
    formatTable(
      ['case', 'sample', 'warm median ms', `${WARM_ECDSA_COUNT} x ecdsa ms`, `warm / (${WARM_ECDSA_COUNT} x ecdsa)`, 'target'],
      rows,
    ),
  );
}

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { anchor: { type: 'string' }, ratls: { type: 'string' } },
      strict: true,
    }));
    if (values.anchor === undefined) {
      throw new Error('missing --anchor FILE');
    }
  } catch (error) {
    console.error(`table.mjs: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }

  try {
    const anchors = readJsonLines(values.anchor, ['package', 'version', 'sample']);
    printAnchorTable(anchors);
    if (values.ratls !== undefined) {
      const ratlsCases = readJsonLines(values.ratls, ['case']);
      const missingCases = EXPECTED_RATLS_CASES.filter(
        (name) => !ratlsCases.some((ratlsCase) => ratlsCase.case === name),
      );
      if (missingCases.length > 0) {
        console.error(`table.mjs: warning: ${values.ratls} has no line for case ${missingCases.join(', ')}`);
      }
      printRatioTable(ratlsCases, anchors);
      printWarmTable(ratlsCases);
    }
  } catch (error) {
    console.error(`table.mjs: ${error.message}`);
    process.exit(1);
  }
}

main();

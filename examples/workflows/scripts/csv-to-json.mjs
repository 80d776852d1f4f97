// A command workflow's program: JSON input on stdin, JSON output on stdout,
// "progress: …" lines on stderr, a non-zero exit code on failure.
let raw = '';
for await (const chunk of process.stdin) raw += chunk;
const { csv, delimiter = ',' } = JSON.parse(raw || '{}');

function splitLine(line) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) cells.push(cell), (cell = '');
    else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

const lines = String(csv).split(/\r?\n/).filter((l) => l.trim() !== '');
if (lines.length < 1) {
  console.error('the CSV has no header line');
  process.exit(3);
}
const headers = splitLine(lines[0]);
const records = [];
for (let i = 1; i < lines.length; i++) {
  const cells = splitLine(lines[i]);
  records.push(Object.fromEntries(headers.map((h, j) => [h, cells[j] !== undefined && cells[j] !== '' && !Number.isNaN(Number(cells[j])) ? Number(cells[j]) : cells[j] ?? null])));
  if (i % 1000 === 0) console.error(`progress: ${Math.round((i / lines.length) * 100)}% parsed ${i} rows`);
}
console.error('progress: 100% computing column statistics');
const columns = headers.map((h) => {
  const nums = records.map((r) => r[h]).filter((v) => typeof v === 'number');
  return nums.length ? { column: h, numeric: true, min: Math.min(...nums), max: Math.max(...nums), sum: nums.reduce((a, b) => a + b, 0) } : { column: h, numeric: false };
});
process.stdout.write(JSON.stringify({ rows: records.length, headers, columns, records }));

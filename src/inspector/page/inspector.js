// The inspector page's behaviour: load the buffered exchanges, follow /events, filter, pause, show one exchange's timelines.
'use strict'

/** Exchanges the page keeps at most; the oldest go first (the proxy keeps its own --inspect-buffer). */
const KEPT = 5000

const OUTCOME_WORDS = {
  running: 'running…',
  complete: 'complete',
  'client-gone': 'client gone',
  'backend-error': 'backend error',
  timeout: 'timeout',
  refused: 'refused',
  upgraded: 'upgraded (WebSocket)',
  'internal-error': 'internal error',
}

/** id → the newest record seen */
const records = new Map()
/** id → its table row */
const rows = new Map()
/** records that arrived while paused, applied on resume */
const held = new Map()
/** records to draw at the next frame */
const toDraw = new Set()
let paused = false
let selected
let drawScheduled = false

const $ = (selector) => document.querySelector(selector)
const tbody = $('#exchanges tbody')

/** Keeps `record` unless an equal or newer copy of it is here already. */
function take(record) {
  const known = records.get(record.id)
  if (known && known.v > record.v) return
  records.set(record.id, record)
  if (records.size > KEPT) {
    const oldest = records.keys().next().value
    records.delete(oldest)
    rows.get(oldest)?.remove()
    rows.delete(oldest)
  }
  toDraw.add(record.id)
  if (!drawScheduled) {
    drawScheduled = true
    requestAnimationFrame(draw)
  }
}

function receive(record) {
  if (paused) held.set(record.id, record)
  else take(record)
}

function draw() {
  drawScheduled = false
  for (const id of toDraw) {
    const record = records.get(id)
    if (record) drawRow(record)
    if (id === selected) drawTimeline(record)
  }
  toDraw.clear()
  updateChoices()
  $('#empty').hidden = records.size > 0
}

function text(value) {
  return value === undefined || value === null ? '' : String(value)
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

function formatMs(ms) {
  return ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`
}

function outcomeText(record) {
  const word = OUTCOME_WORDS[record.outcome] || record.outcome
  return record.retried.length > 0 ? `${word} · retried on another backend` : word
}

function drawRow(record) {
  let row = rows.get(record.id)
  if (!row) {
    row = document.createElement('tr')
    row.dataset.id = String(record.id)
    for (const name of ['id', 'method', 'path', 'route', 'backend', 'status', 'in num', 'out num', 'time num', 'ended']) {
      const cell = document.createElement('td')
      cell.className = name
      row.append(cell)
    }
    rows.set(record.id, row)
    tbody.prepend(row)
  }
  const cells = row.children
  const elapsed = record.ms ?? Math.max(0, Date.now() - record.started)
  const values = [record.id, record.method, record.path, record.route, record.backend,
    record.status ? `${record.status}${record.statusText ? ` ${record.statusText}` : ''}` : '—',
    formatBytes(record.bytesIn), formatBytes(record.bytesOut), formatMs(elapsed), outcomeText(record)]
  values.forEach((value, i) => { cells[i].textContent = text(value) })
  cells[2].title = record.url
  cells[5].className = `status s${String(record.status).charAt(0)}`
  row.className = [record.outcome, record.retried.length > 0 ? 'retried' : '', record.id === selected ? 'selected' : ''].join(' ').trim()
  row.hidden = !matches(record)
}

/** The filters: status class, route, backend, and text anywhere in the row or its URL. */
function matches(record) {
  const status = $('#filter-status').value
  if (status === 'running' && record.outcome !== 'running') return false
  if (status === '0' && record.status !== 0) return false
  if (/^[1-5]$/.test(status) && String(record.status).charAt(0) !== status) return false
  const route = $('#filter-route').value
  if (route && record.route !== route) return false
  const backend = $('#filter-backend').value
  if (backend && record.backend !== backend) return false
  const needle = $('#filter-text').value.trim().toLowerCase()
  if (!needle) return true
  const haystack = [record.id, record.method, record.url, record.route, record.backend, record.status, outcomeText(record),
    record.clientAddress].map(text).join(' ').toLowerCase()
  return haystack.includes(needle)
}

/** The route and backend choices: every one seen so far. */
function updateChoices() {
  for (const [select, field] of [[$('#filter-route'), 'route'], [$('#filter-backend'), 'backend']]) {
    const have = new Set([...select.options].map((option) => option.value))
    for (const record of records.values()) {
      const value = record[field]
      if (!value || have.has(value)) continue
      have.add(value)
      select.append(new Option(value, value))
    }
  }
}

function refilter() {
  for (const [id, row] of rows) row.hidden = !matches(records.get(id))
}

function drawEvents(list, events, end) {
  list.replaceChildren()
  for (const event of events) {
    const item = document.createElement('li')
    if (/failed|closed first|error|timeout|aborted/.test(event.what)) item.className = 'bad'
    const time = document.createElement('time')
    time.textContent = `+${formatMs(event.at)}`
    const what = document.createElement('span')
    what.className = 'what'
    what.textContent = event.what
    const detail = document.createElement('span')
    detail.className = 'detail'
    if (event.chunks !== undefined) {
      const span = event.to !== undefined && event.to > event.at ? `, until +${formatMs(event.to)}` : ''
      detail.textContent = `${event.chunks} chunk${event.chunks === 1 ? '' : 's'}, ${formatBytes(event.bytes)}${span}`
    } else {
      detail.textContent = text(event.detail)
    }
    const body = document.createElement('span')
    body.append(what, detail)
    item.append(time, body)
    list.append(item)
  }
  if (end) {
    const item = document.createElement('li')
    const what = document.createElement('span')
    what.className = 'what'
    what.textContent = end
    item.append(document.createElement('time'), what)
    list.append(item)
  }
}

function drawHeaders(table, headers) {
  table.replaceChildren()
  for (const [name, value] of headers) {
    const row = table.insertRow()
    row.insertCell().textContent = name
    row.insertCell().textContent = value
  }
}

function closedFirstText(record) {
  if (record.outcome === 'running') return 'running: neither side has closed'
  if (record.closedFirst === 'client') return 'the client (C1) closed first; C2 was aborted'
  if (record.closedFirst === 'backend') return 'the backend (C2) failed or closed first'
  if (record.closedFirst === 'proxy') return 'uproxy ended it (an internal error)'
  return 'neither side closed early'
}

function drawTimeline(record) {
  const section = $('#timeline')
  if (!record) {
    section.hidden = true
    return
  }
  section.hidden = false
  $('#timeline-title').textContent = `#${record.id} ${record.method} ${record.url}`
  const connection = record.connection
    ? record.connection.reused ? 'a reused connection'
      : `a new connection (connect ${formatMs(record.connection.connectMs)}${record.connection.tlsMs !== undefined ? `, TLS ${formatMs(record.connection.tlsMs)}` : ''})`
    : 'no backend connection'
  const retried = record.retried.map((attempt) => `${attempt.backend} failed (${attempt.code}) after ${formatMs(attempt.ms)}`).join('; ')
  $('#timeline-summary').textContent = [
    `${outcomeText(record)}${record.ms !== undefined ? ` in ${formatMs(record.ms)}` : ''}`,
    record.backend ? `backend ${record.backend} over ${connection}` : 'no backend asked',
    retried ? `before that: ${retried}` : '',
    closedFirstText(record),
    // only with several workers
    record.worker !== undefined ? `served by worker ${record.worker}` : '',
  ].filter(Boolean).join(' · ')
  drawEvents($('#side-c1 ol'), record.c1, undefined)
  drawEvents($('#side-c2 ol'), record.c2, record.c2.length === 0 ? 'no backend exchange' : undefined)
  drawHeaders($('#request-headers'), record.requestHeaders)
  drawHeaders($('#response-headers'), record.responseHeaders)
}

function select(id) {
  rows.get(selected)?.classList.remove('selected')
  selected = id
  rows.get(id)?.classList.add('selected')
  drawTimeline(records.get(id))
}

function setPaused(on) {
  paused = on
  const button = $('#pause')
  button.textContent = on ? `Resume` : 'Pause'
  button.setAttribute('aria-pressed', String(on))
  if (on) return
  for (const record of held.values()) take(record)
  held.clear()
}

async function loadBuffered() {
  const response = await fetch('exchanges', { cache: 'no-store' })
  for (const record of await response.json()) receive(record)
}

function follow() {
  const events = new EventSource('events')
  events.onopen = () => {
    $('#connection').textContent = 'live'
    // after a reconnect, what was missed is in the buffer
    loadBuffered().catch(() => {})
  }
  events.onerror = () => { $('#connection').textContent = 'reconnecting…' }
  events.onmessage = (message) => {
    const event = JSON.parse(message.data)
    receive(event.exchange)
  }
}

tbody.addEventListener('click', (event) => {
  const row = event.target.closest('tr')
  if (row) select(Number(row.dataset.id))
})
$('#timeline-close').addEventListener('click', () => select(undefined))
$('#pause').addEventListener('click', () => setPaused(!paused))
for (const id of ['#filter-status', '#filter-route', '#filter-backend']) $(id).addEventListener('change', refilter)
$('#filter-text').addEventListener('input', refilter)
$('#filters').addEventListener('submit', (event) => event.preventDefault())
follow()

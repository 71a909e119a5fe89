// Co-create Coach web chat widget. A plain ES module: no build step and nothing external.
//
// Talks to the gateway on the same origin:
//   (in the page) #widget-setup        {"en": {key: text}, "cy": {...}, "limits": {...}}: labels
//                                      from data/content/widget.yml; GET /api/ui-text if missing
//   POST /api/sessions                 -> {"token": "..."}
//   POST /api/socket-tickets (Bearer)  -> {"ticket"}: opens one WebSocket, once, within a minute
//   GET  /api/ws                       WebSocket, the main path for messages and pushes; its
//                                      first frame is {"type": "auth", "ticket": "..."}
//   POST /api/messages (Bearer token)  fallback when the WebSocket cannot connect
//   GET  /api/my-data (Bearer token)   the person's data as a JSON file, for the "My data"
//                                      chip whose payload is DOWNLOAD_PAYLOAD
//   POST /api/ask3/print-links (Bearer) -> {"url"}: a short-lived link to print one question list
// Message text is only ever rendered with textContent.

import { gridOf, renderGrid, renderSummaryLink, summaryOf } from "./ask3.js";

const STORE_KEYS = {
  token: "coach.token",
  language: "coach.language",
  invite: "coach.invite",
  history: "coach.history",
  pending: "coach.pending",
};
// The token lives in localStorage so a new tab resumes the conversation. The on-screen history
// (health information) stays in sessionStorage: it survives reloads and reconnects in this tab,
// but is not left on a shared phone once the tab is closed.
const historyStore = () => window.sessionStorage;
const HISTORY_LIMIT = 300;
const LANGUAGES = ["en", "cy"];
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];
const WS_FAILURES_BEFORE_HTTP = 2;
// A socket that closes this soon after opening, having heard nothing, counts as a failed one.
const WS_STABLE_AFTER_MS = 2000;
const UI_TEXT_TIMEOUT_MS = 4000;
const HTTP_TIMEOUT_MS = 30000;
const RATE_LIMIT_RETRY_MS = 5000;
// A chip with this payload downloads the person's data instead of sending a message.
const DOWNLOAD_PAYLOAD = "/download_my_data";
// Close codes the gateway uses when the token is unknown.
const WS_UNKNOWN_CLOSE_CODE = 4401;
const WS_AUTH_CLOSE_CODES = new Set([1008, 4001, WS_UNKNOWN_CLOSE_CODE]);
// Within the gateway's 10 s wait for the socket's first frame.
const TICKET_TIMEOUT_MS = 8000;
// The session ended after a long time unused: the person is asked, kindly, to start again.
// The widget treats its socket as closed with this code when the ticket request says so.
const WS_EXPIRED_CLOSE_CODE = 4440;
// The widget's own code for a socket with no ticket (offline, gateway busy): try again.
const WS_NO_TICKET_CLOSE_CODE = 4000;
// A renewed session token comes back in this header.
const RENEWAL_HEADER = "X-Session-Token";

// Where the gateway puts the widget's labels (data/content/widget.yml) and limits in the page.
const SETUP_ELEMENT_ID = "widget-setup";
// What the gateway takes by default; the page's setup says what it really takes.
const DEFAULT_MAX_MESSAGE_CHARS = 2000;
// The character count shows once this share of the limit is used.
const LENGTH_COUNT_FROM = 0.9;
// Sent, without a bubble, when a language is chosen: the coach greets and asks for consent
// (as Telegram's /start does), so the chat never opens empty.
const GREETING_PAYLOAD = "/greet";

const state = {
  /** @type {Record<string, Record<string, string>>} */
  text: { en: {}, cy: {} },
  maxMessageChars: DEFAULT_MAX_MESSAGE_CHARS,
  language: "en",
  token: null,
  invite: null,
  /** @type {{kind: "bot"|"user", text: string, lang: string, buttons?: {title: string, payload: string}[], chosen?: number}[]} */
  history: [],
  /** Messages sent but not yet answered. `wsGen` is the socket they went out on; `http` marks a POST in flight. */
  /** @type {{id: string, text: string, wsGen?: number, http?: boolean}[]} */
  pending: [],
  /** The person was erased ("forget me"): no token until they speak again. */
  erased: false,
  atEnd: true,
  ws: null,
  wsOpen: false,
  wsGen: 0,
  wsFailures: 0,
  everConnected: false,
  reconnectAttempt: 0,
  reconnectTimer: null,
  httpMode: false,
  httpBusy: false,
  httpHealthy: false,
  errorKey: null,
  sessionPromise: null,
};

const $ = (id) => document.getElementById(id);
const els = {};

// ---------------------------------------------------------------- storage

function storageGet(store, key) {
  try {
    return store.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(store, key, value) {
  try {
    if (value === null || value === undefined) store.removeItem(key);
    else store.setItem(key, value);
  } catch {
    // Private browsing or a full quota: the chat still works, it just won't survive a reload.
  }
}

function loadJson(store, key, fallback) {
  const raw = storageGet(store, key);
  if (!raw) return fallback;
  try {
    return JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function saveHistory() {
  if (state.erased) {
    storageSet(historyStore(), STORE_KEYS.history, null);
    return;
  }
  if (state.history.length > HISTORY_LIMIT) state.history.splice(0, state.history.length - HISTORY_LIMIT);
  storageSet(historyStore(), STORE_KEYS.history, JSON.stringify(state.history));
}

function savePending() {
  const plain = state.pending.map(({ id, text }) => ({ id, text }));
  storageSet(historyStore(), STORE_KEYS.pending, JSON.stringify(plain));
}

function clearConversation() {
  for (const key of [STORE_KEYS.token, STORE_KEYS.language, STORE_KEYS.invite]) {
    storageSet(window.localStorage, key, null);
  }
  storageSet(historyStore(), STORE_KEYS.history, null);
  storageSet(historyStore(), STORE_KEYS.pending, null);
  state.token = null;
  state.history = [];
  state.pending = [];
}

/** Keep a renewed session token: each use keeps the session open (sliding expiry). */
function rememberToken(token) {
  if (typeof token !== "string" || !token || !state.token) return;
  state.token = token;
  storageSet(window.localStorage, STORE_KEYS.token, token);
}

function renewFrom(response) {
  rememberToken(response.headers.get(RENEWAL_HEADER));
}

async function isExpired(response) {
  if (response.status !== 401) return false;
  try {
    return (await response.clone().json())?.expired === true;
  } catch {
    return false;
  }
}

/**
 * The session ended after a long time unused. Nothing is lost on the coach's side; here the
 * token and the screen's copy go, anything not yet sent goes back into the message field,
 * and the person is asked, in their language, to choose it again to start afresh.
 */
function sessionEnded() {
  const unsent = state.pending.map((item) => item.text).filter((t) => !t.startsWith("/"));
  clearConversation();
  state.ws?.close();
  state.ws = null;
  state.wsOpen = false;
  state.httpMode = false;
  if (unsent.length && els.input) els.input.value = unsent.join("\n");
  showChooser();
  showError("session_expired");
  updateTyping();
}

// ---------------------------------------------------------------- labels

function textFor(language, key) {
  return state.text[language]?.[key] ?? state.text.en?.[key] ?? "";
}

const t = (key) => textFor(state.language, key);
const otherLanguage = () => (state.language === "cy" ? "en" : "cy");

/** A label with its {placeholders} filled; numbers are written the language's way. */
function format(key, values) {
  const numbers = new Intl.NumberFormat(state.language === "cy" ? "cy-GB" : "en-GB");
  return t(key).replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? (typeof values[name] === "number" ? numbers.format(values[name]) : String(values[name])) : whole,
  );
}

function useSetup(data) {
  if (!data || typeof data !== "object") return false;
  const merged = {};
  for (const language of LANGUAGES) {
    merged[language] = {};
    const labels = data[language];
    if (labels && typeof labels === "object") {
      for (const [key, value] of Object.entries(labels)) {
        if (typeof value === "string") merged[language][key] = value;
      }
    }
  }
  if (!Object.keys(merged.en).length) return false;
  state.text = merged;
  const limit = data.limits?.message_chars;
  if (Number.isInteger(limit) && limit > 0) state.maxMessageChars = limit;
  return true;
}

/** The labels and limits the gateway put in the page; GET /api/ui-text if they are missing. */
async function loadSetup() {
  try {
    if (useSetup(JSON.parse($(SETUP_ELEMENT_ID)?.textContent ?? ""))) return;
  } catch {
    // Not filled in (the page was served some other way): ask the gateway.
  }
  try {
    const response = await fetch("/api/ui-text", {
      headers: { Accept: "application/json" },
      signal: timeoutSignal(UI_TEXT_TIMEOUT_MS),
    });
    if (response.ok) useSetup(await response.json());
  } catch {
    // Nothing more to try; the chat still works.
  }
}

function applyText() {
  document.documentElement.lang = state.language;
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = textFor(el.dataset.i18nLang || state.language, el.dataset.i18n);
  }
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  els.log.setAttribute("aria-label", t("log_label"));
  const other = otherLanguage();
  els.toggle.textContent = textFor(other, "language_name");
  els.toggle.lang = other;
  els.toggle.setAttribute("aria-label", t("language_toggle_label"));
  for (const el of els.log.querySelectorAll(".speaker-bot")) el.textContent = t("speaker_bot");
  for (const el of els.log.querySelectorAll(".speaker-user")) el.textContent = t("speaker_user");
  updateTyping();
  updateStatus();
  updateLength();
}

function setLanguage(language) {
  if (!LANGUAGES.includes(language)) return;
  state.language = language;
  storageSet(window.localStorage, STORE_KEYS.language, language);
  applyText();
}

/**
 * The UI follows a language switch asked for in the conversation: typing "Cymraeg" or
 * "English", or a chip whose payload is the engine's switch_language intent.
 */
function languageAskedFor(said, payload) {
  const words = said.trim().toLowerCase();
  const named = LANGUAGES.find((l) => textFor(l, "language_name").toLowerCase() === words);
  if (named) return named;
  const intent = /^\/switch_language\b.*"language"\s*:\s*"(en|cy)"/.exec(payload);
  return intent ? intent[1] : undefined;
}

// ---------------------------------------------------------------- rendering

function renderEntry(entry, chipsEnabled) {
  const wrapper = document.createElement("div");
  wrapper.className = `message message-${entry.kind}`;

  const speaker = document.createElement("span");
  speaker.className = `visually-hidden speaker-${entry.kind}`;
  speaker.textContent = t(entry.kind === "bot" ? "speaker_bot" : "speaker_user");
  wrapper.append(speaker);

  if (entry.text) {
    const bubble = document.createElement("p");
    bubble.className = `bubble bubble-${entry.kind}`;
    bubble.dataset.testid = entry.kind === "bot" ? "bot-bubble" : "user-bubble";
    if (entry.lang) bubble.lang = entry.lang;
    bubble.textContent = entry.text;
    wrapper.append(bubble);
  }

  if (entry.kind === "bot" && entry.grid) wrapper.append(renderGrid(entry.grid, entry.lang));
  if (entry.kind === "bot" && entry.summary) {
    wrapper.append(renderSummaryLink(entry.summary, entry.lang, openPrintable));
  }

  if (entry.kind === "bot" && entry.buttons?.length) {
    const chips = document.createElement("div");
    chips.className = "chips";
    chips.setAttribute("role", "group");
    entry.buttons.forEach((button, index) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.dataset.testid = "chip";
      if (entry.lang) chip.lang = entry.lang;
      chip.textContent = button.title;
      chip.disabled = !chipsEnabled;
      if (entry.chosen === index) chip.classList.add("chip-chosen");
      chip.addEventListener("click", () => chooseChip(entry, index, chip));
      chips.append(chip);
    });
    wrapper.append(chips);
  }
  return wrapper;
}

function renderHistory() {
  els.log.replaceChildren();
  let lastUser = -1;
  state.history.forEach((entry, index) => {
    if (entry.kind === "user") lastUser = index;
  });
  const fragment = document.createDocumentFragment();
  state.history.forEach((entry, index) => fragment.append(renderEntry(entry, index > lastUser)));
  els.log.append(fragment);
  scrollToEnd();
}

function appendEntry(entry) {
  state.history.push(entry);
  saveHistory();
  els.log.append(renderEntry(entry, true));
  scrollToEnd();
}

function scrollToEnd() {
  els.log.scrollTop = els.log.scrollHeight;
  state.atEnd = true;
}

// Within this many pixels of the bottom, the conversation counts as read to the end.
const AT_END_SLACK_PX = 40;

/**
 * Someone reading the newest messages keeps seeing them when the log gets shorter (the field
 * grows to several lines, a length warning appears); someone who scrolled back stays put.
 */
function keepEndInView() {
  els.log.addEventListener(
    "scroll",
    () => {
      state.atEnd = els.log.scrollHeight - els.log.scrollTop - els.log.clientHeight <= AT_END_SLACK_PX;
    },
    { passive: true },
  );
  // The wheel over the grey margins beside the chat scrolls the conversation: the page
  // itself has nothing to scroll.
  document.addEventListener(
    "wheel",
    (event) => {
      if (event.target !== document.documentElement && event.target !== document.body) return;
      const line = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? els.log.clientHeight : 1;
      els.log.scrollBy({ top: event.deltaY * line });
    },
    { passive: true },
  );
  if (typeof ResizeObserver !== "function") return;
  new ResizeObserver(() => {
    if (state.atEnd) els.log.scrollTop = els.log.scrollHeight;
  }).observe(els.log);
}

function disableChips() {
  const hadFocus = els.log.contains(document.activeElement);
  for (const chip of els.log.querySelectorAll(".chip")) chip.disabled = true;
  if (hadFocus) els.input.focus();
}

function showBotMessages(messages, language) {
  if (!Array.isArray(messages)) return;
  if (language) setLanguage(language);
  for (const message of messages) {
    const text = typeof message?.text === "string" ? message.text : "";
    const buttons = Array.isArray(message?.buttons)
      ? message.buttons
          .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
          .map((b) => ({ title: b.title, payload: b.payload }))
      : [];
    const grid = gridOf(message);
    const summary = summaryOf(message);
    if (!text && buttons.length === 0 && !grid && !summary) continue;
    appendEntry({ kind: "bot", text, lang: state.language, buttons, grid, summary });
  }
}

function updateTyping() {
  const waiting = state.pending.some((item) => item.http || item.wsGen === state.wsGen && state.wsOpen);
  els.typing.hidden = !waiting;
  // Filled only while shown, so screen readers announce it once when it appears.
  els.typingText.textContent = waiting ? t("typing") : "";
}

function updateStatus() {
  let key = null;
  let isError = false;
  if (!navigator.onLine) {
    key = "offline";
  } else if (state.errorKey) {
    key = state.errorKey;
    isError = true;
  } else if (state.token && !state.wsOpen && !(state.httpMode && state.httpHealthy)) {
    if (state.everConnected || state.wsFailures > 0) key = "reconnecting";
    else if (state.pending.length) key = "connecting";
  }
  els.status.hidden = key === null;
  els.status.classList.toggle("status-error", isError);
  els.status.dataset.state = key ?? "ok";
  els.status.textContent = key ? t(key) : "";
}

function showError(key) {
  state.errorKey = key;
  updateStatus();
}

function clearError() {
  if (state.errorKey) {
    state.errorKey = null;
    updateStatus();
  }
}

// ---------------------------------------------------------------- sending

function newId() {
  if (typeof crypto.randomUUID === "function") {
    try {
      return crypto.randomUUID();
    } catch {
      // Not a secure context: fall through.
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sendText(text, shownAs) {
  const trimmed = text.trim();
  if (!trimmed) return;
  clearError();
  disableChips();
  const named = languageAskedFor(shownAs ?? trimmed, trimmed);
  if (named && named !== state.language) setLanguage(named);
  appendEntry({ kind: "user", text: shownAs ?? trimmed, lang: state.language });
  queueMessage(trimmed);
}

/** Send `text` to the coach; without a bubble of its own unless sendText added one. */
function queueMessage(text) {
  state.pending.push({ id: newId(), text });
  savePending();
  if (!state.token) {
    // Erased ("forget me"), then spoken to again: a new conversation, from nothing.
    void resumeAfterErasure();
    return;
  }
  dispatchPending();
}

async function resumeAfterErasure() {
  if (!(await startSession())) return;
  state.erased = false;
  state.wsFailures = 0;
  reconnectNow();
}

// ---------------------------------------------------------------- the message field

/** Characters as the gateway counts them (code points, not UTF-16 units), after trimming. */
function messageLength(text) {
  return [...text.trim()].length;
}

function tooLong(text) {
  return messageLength(text) > state.maxMessageChars;
}

/**
 * Near the limit, a count of what is left; over it, how many too many, and a warning that
 * says nothing was sent or removed. The warning is an alert, announced when it appears; the
 * count is read with the field (aria-describedby) rather than on every keystroke.
 */
function updateLength({ announce = false } = {}) {
  if (!els.input) return;
  const used = messageLength(els.input.value);
  const limit = state.maxMessageChars;
  const over = used > limit;
  els.lengthCount.hidden = used < limit * LENGTH_COUNT_FROM;
  els.lengthCount.classList.toggle("length-count-over", over);
  els.lengthCount.textContent = over
    ? format("length_over_by", { count: used - limit })
    : format("length_left", { count: limit - used });
  if (over) els.input.setAttribute("aria-invalid", "true");
  else els.input.removeAttribute("aria-invalid");
  const wasShown = !els.lengthWarning.hidden;
  els.lengthWarning.hidden = !over;
  if (over && (!wasShown || announce)) {
    // Emptied first so that a screen reader announces it again.
    els.lengthWarning.textContent = "";
    window.setTimeout(() => {
      if (!els.lengthWarning.hidden) els.lengthWarning.textContent = format("length_too_long", { limit });
    }, 50);
  } else if (over) {
    // Unchanged while the patient edits: an alert whose text is replaced is read out again.
    const warning = format("length_too_long", { limit });
    if (els.lengthWarning.textContent !== warning) els.lengthWarning.textContent = warning;
  } else {
    els.lengthWarning.textContent = "";
  }
}

/** The field grows with its text, up to a few lines, then scrolls. */
function fitInput() {
  if (CSS.supports?.("field-sizing", "content")) return;
  els.input.style.height = "auto";
  els.input.style.height = `${els.input.scrollHeight + 4}px`;
}

function submitComposer() {
  const text = els.input.value;
  if (!text.trim()) {
    els.input.focus();
    return;
  }
  if (tooLong(text)) {
    // Never cut: the text stays in the field, whole, and nothing goes to the coach.
    updateLength({ announce: true });
    els.input.focus();
    return;
  }
  els.input.value = "";
  updateLength();
  fitInput();
  sendText(text);
}

/**
 * After "forget me" the gateway has erased the person: this device keeps nothing either. The
 * transcript goes from the screen and from storage, and so do the token and the language, so
 * a reload starts afresh; only the coach's last words stay on screen, unsaved.
 */
function forgetHere(messages) {
  clearConversation();
  state.erased = true;
  window.clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  const ws = state.ws;
  state.ws = null;
  state.wsOpen = false;
  state.httpMode = false;
  state.everConnected = false;
  state.wsFailures = 0;
  ws?.close();
  els.log.replaceChildren();
  // In the language they were speaking: the gateway no longer knows them, so it says English.
  showBotMessages(messages, null);
  state.history = [];
  storageSet(window.localStorage, STORE_KEYS.language, null);
}

/**
 * Open "My questions for my appointment" to print. The gateway makes a link of its own that
 * reads only that list, for a few minutes; the session token stays out of every URL. The tab
 * opens inside the click (so no pop-up blocker stops it) and goes to the link once it is made.
 */
async function openPrintable(summary) {
  clearError();
  const tab = window.open("", "_blank");
  if (tab) tab.opener = null;
  try {
    const response = await fetch("/api/ask3/print-links", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${state.token}`,
      },
      body: JSON.stringify({ list: summary.list_id }),
      signal: timeoutSignal(HTTP_TIMEOUT_MS),
    });
    if (await isExpired(response)) {
      tab?.close();
      sessionEnded();
      return;
    }
    renewFrom(response);
    if (!response.ok) throw new Error(`print link ${response.status}`);
    const data = await response.json();
    if (typeof data?.url !== "string" || !data.url.startsWith("/")) throw new Error("no link");
    const url = new URL(data.url, window.location.origin).href;
    if (tab) tab.location.replace(url);
    else window.location.assign(url);
  } catch {
    tab?.close();
    showError("error_print");
  }
}

function chooseChip(entry, index, chip) {
  const button = entry.buttons?.[index];
  if (!button || chip.disabled) return;
  if (button.payload === DOWNLOAD_PAYLOAD) {
    chip.classList.add("chip-chosen");
    void downloadMyData();
    return;
  }
  entry.chosen = index;
  chip.classList.add("chip-chosen");
  saveHistory();
  sendText(button.payload, button.title);
}

/** Save everything the coach holds about this person as my-data.json. */
async function downloadMyData() {
  clearError();
  try {
    const response = await fetch("/api/my-data", {
      headers: { Accept: "application/json", Authorization: `Bearer ${state.token}` },
      signal: timeoutSignal(HTTP_TIMEOUT_MS),
    });
    if (await isExpired(response)) {
      sessionEnded();
      return;
    }
    renewFrom(response);
    if (!response.ok) throw new Error(`my data ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = "my-data.json";
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch {
    showError("error_download");
  }
}

function dispatchPending() {
  if (state.wsOpen && state.ws) {
    for (const item of state.pending) {
      if (item.http || item.wsGen === state.wsGen) continue;
      state.ws.send(JSON.stringify({ type: "message", text: item.text, id: item.id }));
      item.wsGen = state.wsGen;
    }
  } else if (state.httpMode) {
    void postNext();
  }
  updateTyping();
  updateStatus();
}

function answer(id) {
  const index = state.pending.findIndex((item) => item.id === id);
  if (index === -1) return false;
  state.pending.splice(index, 1);
  savePending();
  return true;
}

/** The HTTP fallback sends one message at a time, in order. */
async function postNext() {
  if (state.httpBusy || state.wsOpen) return;
  const item = state.pending.find((p) => !p.http);
  if (!item) return;
  state.httpBusy = true;
  item.http = true;
  updateTyping();
  let retryAfter = null;
  try {
    const response = await fetch("/api/messages", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${state.token}`,
      },
      // The id lets the gateway drop a message it already took over a socket that then dropped.
      body: JSON.stringify({ text: item.text, id: item.id }),
      signal: timeoutSignal(HTTP_TIMEOUT_MS),
    });
    state.httpHealthy = true;
    renewFrom(response);
    if (await isExpired(response)) {
      item.http = false;
      sessionEnded();
      return;
    } else if (response.ok) {
      const data = await response.json();
      answer(item.id);
      clearError();
      if (data?.erased === true) forgetHere(data?.messages);
      else showBotMessages(data?.messages, data?.language);
    } else if (response.status === 401) {
      item.http = false;
      if (await startSession()) {
        retryAfter = 0;
        state.wsFailures = 0;
        reconnectNow();
      } else {
        retryAfter = BACKOFF_MS.at(-1);
      }
    } else if (response.status === 429) {
      item.http = false;
      showError("error_rate_limited");
      const header = Number(response.headers.get("Retry-After"));
      retryAfter = header > 0 ? header * 1000 : RATE_LIMIT_RETRY_MS;
    } else if (response.status >= 500) {
      // The gateway (or a proxy in front of it) is restarting: the same id goes again later,
      // and the gateway answers it once.
      item.http = false;
      state.httpHealthy = false;
      retryAfter = BACKOFF_MS[Math.min(state.reconnectAttempt, BACKOFF_MS.length - 1)];
    } else {
      // 400 and other refusals will not succeed on a retry.
      answer(item.id);
      showError("error_send");
    }
  } catch {
    item.http = false;
    state.httpHealthy = false;
    retryAfter = BACKOFF_MS[Math.min(state.reconnectAttempt, BACKOFF_MS.length - 1)];
  } finally {
    state.httpBusy = false;
  }
  updateTyping();
  updateStatus();
  if (retryAfter === null) void postNext();
  else window.setTimeout(() => dispatchPending(), retryAfter);
}

// ---------------------------------------------------------------- session

function startSession() {
  if (!state.sessionPromise) {
    state.sessionPromise = createSession().finally(() => {
      state.sessionPromise = null;
    });
  }
  return state.sessionPromise;
}

async function createSession() {
  const body = { language: state.language };
  if (state.invite) body.invite = state.invite;
  try {
    const response = await fetch("/api/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal: timeoutSignal(HTTP_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`session ${response.status}`);
    const data = await response.json();
    if (typeof data?.token !== "string" || !data.token) throw new Error("no token");
    state.token = data.token;
    storageSet(window.localStorage, STORE_KEYS.token, state.token);
    storageSet(window.localStorage, STORE_KEYS.invite, state.invite);
    // The invite has been used; reloading the page should resume, not look like a new link.
    const url = new URL(window.location.href);
    if (url.searchParams.has("invite")) {
      url.searchParams.delete("invite");
      window.history.replaceState(null, "", url);
    }
    // Messages sent over a socket for the old token must go again on the new one.
    for (const item of state.pending) {
      item.wsGen = undefined;
      item.http = false;
    }
    return true;
  } catch {
    showError("error_start");
    return false;
  }
}

// ---------------------------------------------------------------- WebSocket

function connect() {
  window.clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  if (!state.token || state.ws) return;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // A single-use ticket goes in the first frame, never the URL, where proxies and logs
  // would keep it; the session token itself never travels on the socket.
  const url = `${scheme}//${window.location.host}/api/ws`;
  const token = state.token;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    onSocketGone(null, false, 1006);
    return;
  }
  state.ws = ws;
  let opened = false;
  let stable = false;
  let stableTimer = null;
  const markStable = () => {
    window.clearTimeout(stableTimer);
    if (stable || state.ws !== ws) return;
    stable = true;
    state.wsFailures = 0;
    state.reconnectAttempt = 0;
  };

  ws.addEventListener("open", async () => {
    const ticket = await socketTicket(token);
    if (state.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
    if (typeof ticket !== "string") {
      // As if the gateway had closed it with that code; its own close event is then ignored.
      void onSocketGone(ws, false, ticket);
      ws.close();
      return;
    }
    ws.send(JSON.stringify({ type: "auth", ticket }));
    opened = true;
    state.wsOpen = true;
    state.wsGen += 1;
    state.everConnected = true;
    state.httpMode = false;
    stableTimer = window.setTimeout(markStable, WS_STABLE_AFTER_MS);
    clearError();
    dispatchPending();
  });

  ws.addEventListener("message", (event) => {
    markStable();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    handleFrame(frame);
  });

  ws.addEventListener("close", (event) => {
    window.clearTimeout(stableTimer);
    void onSocketGone(ws, opened && stable, event.code);
  });
}

/** A ticket for one socket, or the close code that says why there is none. */
async function socketTicket(token) {
  try {
    const response = await fetch("/api/socket-tickets", {
      method: "POST",
      headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
      signal: timeoutSignal(TICKET_TIMEOUT_MS),
    });
    if (await isExpired(response)) return WS_EXPIRED_CLOSE_CODE;
    renewFrom(response);
    if (response.status === 401) return WS_UNKNOWN_CLOSE_CODE;
    if (!response.ok) return WS_NO_TICKET_CLOSE_CODE;
    const data = await response.json();
    return typeof data?.ticket === "string" ? data.ticket : WS_NO_TICKET_CLOSE_CODE;
  } catch {
    return WS_NO_TICKET_CLOSE_CODE;
  }
}

function handleFrame(frame) {
  if (!frame || typeof frame !== "object") return;
  if (frame.type === "reply") {
    // A reply to a message that is no longer pending is a duplicate of one already shown.
    if (frame.reply_to && !answer(frame.reply_to)) return;
    clearError();
    if (frame.erased === true) forgetHere(frame.messages);
    else showBotMessages(frame.messages, frame.language);
  } else if (frame.type === "push") {
    showBotMessages(frame.messages, frame.language);
  } else if (frame.type === "error") {
    if (frame.reply_to) answer(frame.reply_to);
    else {
      // Without reply_to the failed message is unknown: stop waiting for all of them.
      state.pending = [];
      savePending();
    }
    showError(frame.error === "rate_limited" ? "error_rate_limited" : "error_send");
  }
  updateTyping();
  updateStatus();
}

async function onSocketGone(ws, worked, code) {
  if (ws && state.ws !== ws) return;
  state.ws = null;
  state.wsOpen = false;
  if (!state.token) {
    // Erased: nothing to reconnect to until the person speaks again.
    updateTyping();
    updateStatus();
    return;
  }
  if (!worked) state.wsFailures += 1;
  if (state.wsFailures >= WS_FAILURES_BEFORE_HTTP) state.httpMode = true;
  updateTyping();
  updateStatus();

  if (code === WS_EXPIRED_CLOSE_CODE) {
    sessionEnded();
    return;
  }
  if (WS_AUTH_CLOSE_CODES.has(code) && (await startSession())) {
    state.reconnectAttempt = 0;
    connect();
    return;
  }
  if (state.httpMode) void postNext();
  scheduleReconnect();
}

function scheduleReconnect() {
  if (state.reconnectTimer !== null || state.ws) return;
  const delay = BACKOFF_MS[Math.min(state.reconnectAttempt, BACKOFF_MS.length - 1)];
  state.reconnectAttempt += 1;
  state.reconnectTimer = window.setTimeout(() => {
    state.reconnectTimer = null;
    connect();
  }, delay);
}

function reconnectNow() {
  if (!state.token || state.wsOpen) return;
  state.reconnectAttempt = 0;
  if (!state.ws) connect();
  dispatchPending();
}

// ---------------------------------------------------------------- screens

function timeoutSignal(ms) {
  if (typeof AbortSignal.timeout === "function") return AbortSignal.timeout(ms);
  const controller = new AbortController();
  window.setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

function showChooser() {
  els.chat.hidden = true;
  els.chooser.hidden = false;
  $("chooser-status-slot").append(els.status);
}

function showChat() {
  els.chooser.hidden = true;
  els.chat.hidden = false;
  $("chat-status-slot").append(els.status);
  renderHistory();
  applyText();
}

async function choose(language) {
  const buttons = els.chooser.querySelectorAll("[data-choose]");
  for (const button of buttons) button.disabled = true;
  setLanguage(language);
  clearError();
  const ok = await startSession();
  for (const button of buttons) button.disabled = false;
  if (!ok) return;
  clearError();
  showChat();
  // A new conversation opens with the coach's greeting, not an empty screen.
  if (!state.history.length && !state.pending.length) queueMessage(GREETING_PAYLOAD);
  connect();
  els.input.focus();
}

function bindEvents() {
  for (const button of els.chooser.querySelectorAll("[data-choose]")) {
    button.addEventListener("click", () => choose(button.dataset.choose));
  }
  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitComposer();
  });
  els.input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line. Not while an input method is composing a word.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submitComposer();
  });
  els.input.addEventListener("input", () => {
    updateLength();
    fitInput();
  });
  els.toggle.addEventListener("click", () => {
    const other = otherLanguage();
    setLanguage(other);
    sendText(textFor(other, "language_name"));
  });
  window.addEventListener("online", () => {
    updateStatus();
    reconnectNow();
  });
  window.addEventListener("offline", updateStatus);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
}

async function main() {
  Object.assign(els, {
    chooser: $("chooser"),
    chat: $("chat"),
    log: $("log"),
    typing: $("typing"),
    typingText: $("typing-text"),
    status: $("status"),
    form: $("composer"),
    input: $("input"),
    toggle: $("language-toggle"),
    lengthWarning: $("length-warning"),
    lengthCount: $("length-count"),
  });
  await loadSetup();

  const urlInvite = new URLSearchParams(window.location.search).get("invite");
  const storedInvite = storageGet(window.localStorage, STORE_KEYS.invite);
  // A different invite link on this device starts a new conversation for that invite.
  if (urlInvite && urlInvite !== storedInvite) clearConversation();
  state.invite = urlInvite || storedInvite;
  state.token = storageGet(window.localStorage, STORE_KEYS.token);
  const storedLanguage = storageGet(window.localStorage, STORE_KEYS.language);
  state.language = LANGUAGES.includes(storedLanguage) ? storedLanguage : "en";
  state.history = loadJson(historyStore(), STORE_KEYS.history, []);
  if (!Array.isArray(state.history)) state.history = [];
  const pending = loadJson(historyStore(), STORE_KEYS.pending, []);
  state.pending = Array.isArray(pending)
    ? pending.filter((p) => typeof p?.id === "string" && typeof p?.text === "string")
    : [];

  bindEvents();
  keepEndInView();
  applyText();
  if (state.token) {
    showChat();
    connect();
  } else {
    showChooser();
  }
  document.body.dataset.ready = "true";
}

main();

// Ask 3 Questions (issue 5) in the widget: an option grid as an accessible table, and the button
// that opens the printable "My questions for my appointment". Text only ever goes in with textContent.

/**
 * An option grid as a real table: a caption, column headers for the options and a row header
 * for each question. On a narrow screen the CSS stacks each row, labelling every answer with
 * its option (data-label), so nothing scrolls sideways.
 * @param {{title: string, decision: string, questions_label?: string, options: string[],
 *          rows: {question: string, answers: string[]}[]}} grid
 * @param {string} lang
 */
export function renderGrid(grid, lang) {
  const figure = document.createElement("div");
  figure.className = "option-grid";
  figure.dataset.testid = "option-grid";
  if (lang) figure.lang = lang;
  const table = document.createElement("table");
  // Explicit roles keep the table's meaning when the narrow layout makes its cells blocks.
  table.setAttribute("role", "table");
  const caption = document.createElement("caption");
  const title = document.createElement("strong");
  title.textContent = grid.title;
  const decision = document.createElement("span");
  decision.className = "option-grid-decision";
  decision.textContent = grid.decision;
  caption.append(title, decision);
  table.append(caption);

  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  headRow.setAttribute("role", "row");
  const corner = document.createElement("th");
  corner.scope = "col";
  corner.setAttribute("role", "columnheader");
  corner.textContent = grid.questions_label ?? "";
  headRow.append(corner);
  for (const option of grid.options) {
    const th = document.createElement("th");
    th.scope = "col";
    th.setAttribute("role", "columnheader");
    th.textContent = option;
    headRow.append(th);
  }
  head.append(headRow);
  table.append(head);

  const body = document.createElement("tbody");
  for (const row of grid.rows) {
    const tr = document.createElement("tr");
    tr.setAttribute("role", "row");
    const question = document.createElement("th");
    question.scope = "row";
    question.setAttribute("role", "rowheader");
    question.textContent = row.question;
    tr.append(question);
    row.answers.forEach((answer, index) => {
      const td = document.createElement("td");
      td.dataset.label = grid.options[index] ?? "";
      td.setAttribute("role", "cell");
      td.textContent = answer;
      tr.append(td);
    });
    body.append(tr);
  }
  table.append(body);
  figure.append(table);
  return figure;
}

/** A message's grid, if it carries a well-formed one. */
export function gridOf(message) {
  const grid = message?.option_grid;
  const strings = (list) => Array.isArray(list) && list.every((s) => typeof s === "string");
  if (!grid || typeof grid.title !== "string" || !strings(grid.options)) return undefined;
  if (!Array.isArray(grid.rows) || !grid.rows.every((r) => typeof r?.question === "string"
      && strings(r.answers))) return undefined;
  return {
    title: grid.title,
    decision: typeof grid.decision === "string" ? grid.decision : "",
    questions_label: typeof grid.questions_label === "string" ? grid.questions_label : "",
    options: grid.options,
    rows: grid.rows.map((r) => ({ question: r.question, answers: r.answers })),
  };
}

/** A message's printable-summary offer, if it carries one. */
export function summaryOf(message) {
  const summary = message?.ask3_summary;
  if (!summary || !Number.isInteger(summary.list_id) || typeof summary.label !== "string") {
    return undefined;
  }
  return { list_id: summary.list_id, label: summary.label };
}

/**
 * The button that opens the printable question list in a new tab. `open(summary)` asks the
 * gateway for a short-lived link of its own: the session token never goes in a URL.
 */
export function renderSummaryLink(summary, lang, open) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "chip print-link";
  button.dataset.testid = "print-questions";
  if (lang) button.lang = lang;
  button.textContent = summary.label;
  button.addEventListener("click", () => open(summary));
  return button;
}

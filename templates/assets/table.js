// Sortable, filterable tables: progressive enhancement of `table[data-sortable]` (without JavaScript the plain
// table is all there). Column headings become buttons that sort (aria-sort says how); a filter box above the
// table hides the rows that do not contain every word typed. Cells may carry data-sort (a date, a number).

for (const table of document.querySelectorAll("table[data-sortable]")) enhance(table);

function enhance(table) {
  const body = table.tBodies[0];
  if (!body) return;
  const rows = [...body.rows];
  const collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true, sensitivity: "base" });
  const keys = rows.map((row) => [...row.cells].map((cell) => (cell.dataset.sort ?? cell.textContent).trim()));
  const texts = rows.map((row) => row.textContent.toLowerCase());
  const headings = [...table.tHead.rows[0].cells];
  let column = -1;
  let ascending = true;

  headings.forEach((th, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      ascending = column === index ? !ascending : true;
      column = index;
      const order = rows.map((_, i) => i);
      order.sort((a, b) => collator.compare(keys[a][index] ?? "", keys[b][index] ?? "") * (ascending ? 1 : -1) || a - b);
      body.append(...order.map((i) => rows[i]));
      for (const other of headings) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });

  const label = table.dataset.filterLabel;
  if (!label) return;
  const id = `filter-${table.id || "table"}`;
  const box = document.createElement("div");
  box.className = "table-filter";
  box.innerHTML = `<label for="${id}"></label> <input type="search" id="${id}" autocomplete="off"> <span class="count" role="status" aria-live="polite"></span>`;
  box.querySelector("label").textContent = label;
  const input = box.querySelector("input");
  const status = box.querySelector("span");
  const holder = table.closest(".table-scroll") || table;
  holder.before(box);
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((row, i) => {
        row.hidden = !words.every((word) => texts[i].includes(word));
        shown += row.hidden ? 0 : 1;
      });
      status.textContent = words.length ? `${shown} of ${rows.length} shown` : "";
    }, 120);
  });
}

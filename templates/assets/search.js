// Search, with Pagefind's index in ../pagefind/ (made by `python build.py` after the pages are written).
// Every page: "/" focuses the search box. The search page: results as you type, filters from the results,
// and the query kept in the address (?q=…&force=…) so a search can be bookmarked or shared.
// Result text is only ever set as text (excerpts keep Pagefind's <mark> and nothing else).

const base = new URL("../", import.meta.url);
const FACETS = [
  ["type", "Type"],
  ["force", "Driving force"],
  ["category", "Category"],
  ["theme", "Theme"],
  ["keyword", "Keyword"],
  ["year", "Year"],
];
const PAGE = 20;
const VALUES_SHOWN = 10;

document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) return;
  const input = document.querySelector("[data-search-input]");
  if (!input) return;
  event.preventDefault();
  input.focus();
  input.select();
});

const form = document.querySelector("[data-search-form]");
if (form) searchPage(form);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function excerpt(html) {
  // Pagefind's excerpt is HTML with <mark> around the words found: parse it inertly, keep text and marks only.
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  const out = element("p", "", "excerpt");
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const marked = node.parentElement && node.parentElement.closest("mark");
    out.append(marked ? element("mark", node.textContent) : document.createTextNode(node.textContent));
  }
  return out;
}

async function searchPage(form) {
  const input = form.querySelector("[data-search-input]");
  const filterBox = form.querySelector("[data-search-filters]");
  const status = document.querySelector("[data-search-status]");
  const list = document.querySelector("[data-search-results]");
  const params = new URLSearchParams(location.search);
  const chosen = new Map(FACETS.map(([key]) => [key, new Set(params.getAll(key))]));
  input.value = params.get("q") || "";

  let pagefind;
  try {
    pagefind = await import(new URL("pagefind/pagefind.js", base).href);
    await pagefind.options({ baseUrl: base.pathname });
    await pagefind.init();
    await pagefind.filters(); // loads the filter index, so results come with counts per filter value
  } catch {
    status.textContent =
      "The search index is not there yet: it is made after the pages are written. Reload this page in a moment.";
    return;
  }

  let generation = 0;
  let results = [];
  let shown = 0;
  let more = null;

  function filters() {
    const out = {};
    for (const [key, values] of chosen) if (values.size) out[key] = { any: [...values] };
    return out;
  }

  function remember(term) {
    const next = new URLSearchParams();
    if (term) next.set("q", term);
    for (const [key, values] of chosen) for (const value of values) next.append(key, value);
    const query = next.toString();
    history.replaceState(null, "", query ? `?${query}` : location.pathname);
  }

  async function showMore(mine) {
    const slice = results.slice(shown, shown + PAGE);
    const data = await Promise.all(slice.map((result) => result.data()));
    if (mine !== generation) return;
    for (const item of data) {
      const li = element("li", "", "search-result");
      const title = element("a", item.meta.title || item.url);
      title.href = item.url;
      const heading = element("h2", "", "result-title");
      heading.append(title);
      const from = [item.meta.note ? `Signal · ${item.meta.note}` : "Note", item.meta.date].filter(Boolean);
      li.append(heading, element("p", from.join(" · "), "from"), excerpt(item.excerpt));
      list.append(li);
    }
    shown += slice.length;
    if (more) more.remove();
    more = null;
    if (shown < results.length) {
      more = element("button", `Show more results (${results.length - shown} left)`, "more");
      more.type = "button";
      more.addEventListener("click", () => showMore(generation));
      list.after(more);
    }
  }

  function facetValues(key, counts) {
    const selected = chosen.get(key);
    const entries = Object.entries(counts || {}).filter(([value, n]) => n > 0 || selected.has(value));
    entries.sort((a, b) => (key === "year" ? b[0].localeCompare(a[0]) : b[1] - a[1] || a[0].localeCompare(b[0])));
    const top = entries.slice(0, VALUES_SHOWN);
    for (const entry of entries.slice(VALUES_SHOWN)) if (selected.has(entry[0])) top.push(entry);
    return top;
  }

  function renderFilters(counts) {
    const sets = [];
    for (const [key, label] of FACETS) {
      const values = facetValues(key, counts[key]);
      if (!values.length) continue;
      const set = element("fieldset", "", "facet");
      set.append(element("legend", label));
      for (const [value, n] of values) {
        const box = element("input");
        box.type = "checkbox";
        box.name = key;
        box.value = value;
        box.checked = chosen.get(key).has(value);
        box.addEventListener("change", () => {
          if (box.checked) chosen.get(key).add(value);
          else chosen.get(key).delete(value);
          run();
        });
        const row = element("label");
        row.append(box, ` ${value} `, element("span", `(${n})`, "count"));
        set.append(row);
      }
      sets.push(set);
    }
    filterBox.replaceChildren(...sets);
  }

  async function run() {
    const mine = ++generation;
    const term = input.value.trim();
    remember(term);
    const active = filters();
    if (!term && !Object.keys(active).length) {
      list.replaceChildren();
      filterBox.replaceChildren();
      if (more) more.remove();
      status.textContent = "";
      return;
    }
    const search = await pagefind.search(term || null, { filters: active });
    if (mine !== generation || !search) return;
    results = search.results;
    shown = 0;
    list.replaceChildren();
    const what = term ? ` for “${term}”` : "";
    status.textContent = `${results.length} result${results.length === 1 ? "" : "s"}${what}`;
    renderFilters(search.filters || {});
    await showMore(mine);
  }

  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  if (input.value || [...chosen.values()].some((values) => values.size)) run();
}

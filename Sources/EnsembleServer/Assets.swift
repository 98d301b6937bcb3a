/// The review pages' one stylesheet and one script, served from /assets (the CSP allows only 'self').
enum Assets {
    static let css = """
        :root { --ink: #1d2733; --muted: #5b6877; --line: #d8dee6; --bg: #f6f8fa; --accent: #1f5fbf;
          --hl: #fff1a8; --urgent: #b3261e; --elevated: #b25e00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        header.top { display: flex; align-items: center; gap: 1.2rem; padding: .55rem 1.2rem; background: #14304f; color: #fff; }
        header.top a { color: #fff; text-decoration: none; }
        header.top nav { display: flex; gap: 1rem; flex: 1; }
        header.top .brand { font-weight: 700; letter-spacing: .02em; }
        header.top .who { opacity: .85; }
        main { padding: 1rem 1.2rem 2rem; }
        main.narrow { max-width: 32rem; margin: 3rem auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.5rem 2rem; }
        h1 { font-size: 1.4rem; margin: .2rem 0 .3rem; } h2 { font-size: 1.1rem; margin: .4rem 0; } h3 { font-size: .95rem; margin: .6rem 0 .2rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin: .5rem 0 1rem; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        .meta, .muted, small { color: var(--muted); }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .78rem; background: #e6ebf1; }
        .badge.urgent, .badge.failed, .badge.error, .badge.rejected { background: #fde2e0; color: var(--urgent); }
        .badge.elevated, .badge.warning { background: #fff0d9; color: var(--elevated); }
        .badge.accepted, .badge.succeeded, .badge.state-signed { background: #dcf3e3; color: #19692c; }
        .badge.ai { background: #e8e3fb; color: #4b3a99; }
        .notice { background: #dcf3e3; border: 1px solid #a8dcb7; padding: .45rem .7rem; border-radius: 6px; }
        .error { color: var(--urgent); }
        .banner { padding: .55rem .8rem; border-radius: 6px; margin: .4rem 0; border: 1px solid var(--line); background: #fff; }
        .banner.urgent { background: #fde2e0; border-color: #f2b8b3; }
        .banner.elevated { background: #fff0d9; border-color: #f3cf94; }
        .banner.quiet { color: var(--muted); font-size: .9rem; }
        .banner form { margin-top: .4rem; }
        .review { display: grid; grid-template-columns: minmax(20rem, 32%) 1fr; gap: 1rem; align-items: start; margin-top: .8rem; }
        .transcript { position: sticky; top: .5rem; max-height: calc(100vh - 1rem); overflow-y: auto; overflow-x: hidden; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
        .attribution th, .attribution td { padding: .25rem .3rem; font-size: .85rem; }
        .attribution { table-layout: fixed; }
        .attribution td { overflow-wrap: anywhere; }
        .attribution form.inline { flex-direction: column; align-items: stretch; }
        .attribution select { width: 100%; }
        .utterances { list-style: none; padding: 0; margin: .3rem 0; }
        .utt .idx { display: inline-block; min-width: 2.1rem; font-size: .75rem; color: var(--muted); font-variant-numeric: tabular-nums; }
        .utt { padding: .15rem .3rem; border-radius: 4px; margin-bottom: .15rem; }
        .utt .speaker { font-weight: 600; font-size: .82rem; color: var(--muted); }
        .utt.hl { background: var(--hl); outline: 2px solid #e2c200; }
        .notes { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(21rem, 1fr); gap: 1rem; overflow-x: auto; padding-bottom: .5rem; }
        .note { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem; }
        .note.group { background: #fbfcfe; }
        .note section { border-top: 1px solid var(--line); padding-top: .2rem; }
        .s { cursor: pointer; border-radius: 3px; }
        .s:hover, .s:focus { background: #eef3fb; outline: none; }
        .s.sel { background: var(--hl); box-shadow: 0 0 0 2px #e2c200; }
        .s.basis-notAssessed { color: var(--muted); font-style: italic; }
        .s.basis-manual { color: var(--urgent); }
        .controls { display: flex; flex-wrap: wrap; gap: .4rem; align-items: flex-start; margin: .3rem 0 .5rem; }
        form.inline { display: inline-flex; gap: .35rem; align-items: center; flex-wrap: wrap; }
        form.stack { display: flex; flex-direction: column; gap: .45rem; }
        details.edit { flex-basis: 100%; }
        details.edit summary { cursor: pointer; color: var(--accent); }
        textarea { width: 100%; font: inherit; padding: .4rem; }
        input, select { font: inherit; padding: .25rem .4rem; }
        button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 5px; padding: .35rem .8rem; cursor: pointer; }
        button.small { padding: .15rem .6rem; font-size: .85rem; }
        button.secondary { background: #6b7684; }
        button.link { background: none; color: #fff; text-decoration: underline; padding: 0; }
        button[disabled] { background: #aab3bf; cursor: not-allowed; }
        .sign { border-top: 2px solid var(--line); margin-top: .6rem; padding-top: .5rem; }
        .signed { color: #19692c; font-weight: 600; }
        .addendum { border-left: 3px solid var(--line); padding-left: .5rem; }
        details.history { margin-top: .5rem; font-size: .85rem; color: var(--muted); }
        details.history summary { cursor: pointer; }
        .hint { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
        .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        .count { color: var(--muted); font-weight: 400; }
        details.findings { margin-top: 1rem; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .5rem .8rem; }
        @media (max-width: 900px) { .review { grid-template-columns: 1fr; } .transcript { position: static; max-height: 50vh; } }
        """

    static let js = """
        "use strict";
        // Selecting a sentence highlights the utterances it cites and scrolls the transcript to the first.
        document.addEventListener("DOMContentLoaded", function () {
          var status = document.getElementById("evidence-status");
          function select(sentence) {
            document.querySelectorAll(".s.sel").forEach(function (s) { s.classList.remove("sel"); s.setAttribute("aria-pressed", "false"); });
            document.querySelectorAll(".utt.hl").forEach(function (u) { u.classList.remove("hl"); });
            sentence.classList.add("sel");
            sentence.setAttribute("aria-pressed", "true");
            var cited = (sentence.dataset.ev || "").split(" ").filter(function (n) { return n !== ""; });
            var first = null;
            cited.forEach(function (n) {
              var u = document.getElementById("u" + n);
              if (u) { u.classList.add("hl"); first = first || u; }
            });
            if (status) {
              status.textContent = cited.length
                ? "Evidence: utterance" + (cited.length > 1 ? "s " : " ") + cited.join(", ")
                : (sentence.dataset.basis === "notAssessed" ? "Not assessed in this session: no evidence."
                  : "No transcript evidence (" + (sentence.dataset.basis || "none") + ").");
            }
            if (first) { first.scrollIntoView({ block: "center", behavior: "smooth" }); }
          }
          document.querySelectorAll(".s").forEach(function (s) {
            s.setAttribute("aria-pressed", "false");
            s.addEventListener("click", function () { select(s); });
            s.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(s); } });
          });
          // Jobs still queued or running follow their progress stream; a finished one reloads the list.
          document.querySelectorAll("tr[data-job]").forEach(function (row) {
            if (row.dataset.state !== "queued" && row.dataset.state !== "running") { return; }
            var badge = row.querySelector(".badge"), stage = row.querySelector(".stage");
            var stream = new EventSource("/jobs/" + encodeURIComponent(row.dataset.job) + "/events");
            stream.addEventListener("state", function (e) {
              var job = JSON.parse(e.data);
              badge.textContent = job.state;
              badge.className = "badge " + job.state;
              row.querySelector(".attempts").textContent = job.attempts + "/" + job.maxAttempts;
              if (job.error) { stage.textContent = job.error; }
              if (job.state === "succeeded" || job.state === "failed") { stream.close(); location.reload(); }
            });
            stream.addEventListener("progress", function (e) {
              var p = JSON.parse(e.data);
              stage.textContent = p.stage + (p.agent ? " · " + p.agent + (p.attendee ? " " + p.attendee : "") : "");
            });
          });
          document.querySelectorAll("a.cite").forEach(function (a) {
            a.addEventListener("click", function () {
              document.querySelectorAll(".utt.hl").forEach(function (u) { u.classList.remove("hl"); });
              var u = document.getElementById("u" + a.dataset.ev);
              if (u) { u.classList.add("hl"); }
            });
          });
        });
        """
}

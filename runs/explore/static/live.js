// Live updates of a run that is still being written: the server sends an
// event whenever the run's log grows, and the page swaps in its main part,
// rendered again by the server. Nothing else on the page uses script.
(function () {
  "use strict";
  var url = document.body.dataset.live;
  if (!url || !window.EventSource) {
    return;
  }
  var main = document.getElementById("main");
  var busy = false, again = false;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.pathname + "?fragment=main", { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        main.innerHTML = html; // server-rendered and escaped
        document.body.dataset.updated = String(performance.now());
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  var source = new EventSource(url);
  source.addEventListener("grow", refresh);
  source.addEventListener("end", function () { source.close(); refresh(); });
}());

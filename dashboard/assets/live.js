// The page is rendered by the server; this only reloads it when the fleet
// changes (server-sent events fed by ZooKeeper watches). Without script it
// is still complete, only not live.
(function () {
  if (!window.EventSource) return;
  var first = null;
  var es = new EventSource("/api/events");
  es.onmessage = function (ev) {
    if (first === null) { first = ev.data; return; }
    if (ev.data !== first) { es.close(); location.reload(); }
  };
})();

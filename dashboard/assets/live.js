// The pipeline page, live: the server pushes the page's content again (already rendered) whenever what it
// shows changes; this swaps it in. EventSource reconnects by itself when the connection drops.
const live = document.getElementById('live');
const liveStatus = document.getElementById('live-status');
if (live && live.dataset.events) {
  const events = new EventSource(live.dataset.events);
  events.addEventListener('pipeline', (event) => {
    live.innerHTML = event.data;
    if (liveStatus) liveStatus.textContent = 'live';
  });
  events.addEventListener('error', () => {
    if (liveStatus) liveStatus.textContent = 'connection to the dashboard lost; reconnecting…';
  });
}

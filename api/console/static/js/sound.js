// Weapon alarm sound, generated with WebAudio (no audio file to ship); mute is kept in localStorage.
const KEY = "gatewatch.muted";
let context = null;

export function muted() {
  return localStorage.getItem(KEY) === "1";
}

export function setMuted(value) {
  localStorage.setItem(KEY, value ? "1" : "0");
}

/** Browsers only start audio after a user gesture: call this from click handlers. */
export function unlockAudio() {
  context ??= new AudioContext();
  if (context.state === "suspended") context.resume();
}

/** Three short square-wave pulses; counted on <body data-alarm-sounds> so the tests can observe it. */
export function beep() {
  if (muted()) return;
  context ??= new AudioContext();
  const start = context.currentTime + 0.01;
  for (let i = 0; i < 3; i += 1) {
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "square";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, start + i * 0.25);
    gain.gain.setValueAtTime(0, start + i * 0.25 + 0.15);
    osc.connect(gain).connect(context.destination);
    osc.start(start + i * 0.25);
    osc.stop(start + i * 0.25 + 0.16);
  }
  document.body.dataset.alarmSounds = String(Number(document.body.dataset.alarmSounds || 0) + 1);
}

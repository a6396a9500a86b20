// Runs in the HTML deck, after manim-slides' own script: sound after the
// first key press or click, and caption tracks that C switches.
(() => {
  const LANGUAGES = LANGUAGES_JSON;  // the first is the default
  let shown = 0;  // the index of the language shown, -1 for none
  let soundOn = false;

  const videoOf = (slide) =>
    slide?.slideBackgroundContentElement?.querySelector('video');
  const slideVideos = () => Reveal.getSlides()
    .map((slide) => [slide, videoOf(slide)])
    .filter(([, video]) => video);

  function showCaptions(video) {
    for (const track of video.textTracks) {
      track.mode = track.language === LANGUAGES[shown]?.lang ? 'showing' : 'hidden';
    }
  }

  function addTracks() {
    for (const [slide, video] of slideVideos()) {
      if (video.querySelector('track')) continue;
      LANGUAGES.forEach(({ lang, label }, i) => {
        const src = slide.getAttribute('data-captions-' + lang);
        if (!src) return;
        const track = document.createElement('track');
        Object.assign(track, { kind: 'captions', srclang: lang, label, src });
        track.default = i === 0;
        video.appendChild(track);
      });
      showCaptions(video);
      if (soundOn) video.muted = false;
    }
  }

  function turnSoundOn() {
    if (soundOn || Reveal.isSpeakerNotes()) return;  // the speaker view stays mute
    if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
    soundOn = true;
    const current = videoOf(Reveal.getCurrentSlide());
    for (const [, video] of slideVideos()) {
      const wasMuted = video.muted;
      video.muted = false;
      video.removeAttribute('data-muted-by-reveal');
      if (video === current && wasMuted && (!video.paused || video.ended)) {
        video.currentTime = 0;  // heard from the start
        video.play().catch(() => {});
      }
    }
  }

  // After reveal.js has handled the key: it may have changed or paused the slide.
  const gesture = () => setTimeout(turnSoundOn);
  window.addEventListener('keydown', gesture, true);
  window.addEventListener('pointerdown', gesture, true);

  Reveal.addKeyBinding(
    { keyCode: 67, key: 'C', description: 'Captions: next language, then off' },
    () => {
      if (Reveal.isOverlayOpen()) return Reveal.closeOverlay();
      shown = shown + 1 < LANGUAGES.length ? shown + 1 : -1;
      for (const [, video] of slideVideos()) showCaptions(video);
    },
  );
  Reveal.on('ready', addTracks);
  Reveal.on('slidechanged', addTracks);
  new MutationObserver((changes) => {
    const added = changes.some((change) =>
      [...change.addedNodes].some((node) => node.nodeName === 'VIDEO'));
    if (added) addTracks();
  }).observe(document.querySelector('.reveal'), { childList: true, subtree: true });
})();

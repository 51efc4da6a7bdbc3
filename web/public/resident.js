// "Use my location" on the residents' report form (/public/report/:code). Progressive: the page
// works without it (the grid comes from the QR code's URL); with it, the phone's position fills
// the hidden lng/lat fields. Loaded from our own server only; no inline script (the CSP).
(function () {
  'use strict';
  var button = document.getElementById('locate');
  var status = document.getElementById('locate-status');
  var lng = document.getElementById('lng');
  var lat = document.getElementById('lat');
  if (!button || !status || !lng || !lat || !navigator.geolocation) return;
  button.hidden = false;
  if (lng.value && lat.value) status.textContent = '已获取您的位置。';
  button.addEventListener('click', function () {
    button.disabled = true;
    status.textContent = '正在获取位置……';
    navigator.geolocation.getCurrentPosition(function (pos) {
      lng.value = pos.coords.longitude.toFixed(6);
      lat.value = pos.coords.latitude.toFixed(6);
      status.textContent = '已获取您的位置（精度约 ' + Math.round(pos.coords.accuracy) + ' 米）。';
      button.disabled = false;
    }, function () {
      status.textContent = '未能获取位置，可以不填，或在“详细地址”中说明。';
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}());

// SPDX-License-Identifier: MIT
// blogengine's ALTCHA solver: finds the proof of work the server's challenge asks for.
//
// The challenge (ALTCHA v2, PBKDF2/SHA-256) is in the data-altcha-challenge attribute; the
// answer goes, base64 JSON {challenge, solution}, into the hidden captcha_altcha input, which
// the server checks with the `altcha` package. Served by the site itself: no inline script,
// no worker, no CDN, so the page's CSP (script-src 'self') stays as it is.
// While it works, the math question (the fallback for readers without JavaScript) is hidden
// and disabled; if anything fails it comes back, so the reader is never stuck. After a refused
// answer the form's prompt follows: "the check is being done again" while the work is on,
// "answer this new question" when the question is what the reader sees.
(function () {
  "use strict";

  function hexToBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function bytesToHex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  async function derive(params, nonce, salt, counter) {
    var password = new Uint8Array(nonce.length + 4);
    password.set(nonce);
    new DataView(password.buffer).setUint32(nonce.length, counter, false);
    var key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    var bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: params.cost },
      key,
      params.keyLength * 8
    );
    return bytesToHex(bits);
  }

  async function solve(challenge) {
    var params = challenge.parameters;
    if (params.algorithm !== "PBKDF2/SHA-256") {
      throw new Error("unsupported algorithm " + params.algorithm);
    }
    var nonce = hexToBytes(params.nonce);
    var salt = hexToBytes(params.salt);
    var prefix = params.keyPrefix.toLowerCase();
    var started = Date.now();
    for (var counter = 0; counter <= 0xffffffff; counter++) {
      var key = await derive(params, nonce, salt, counter);
      if (key.startsWith(prefix)) {
        return { counter: counter, derivedKey: key, time: Date.now() - started };
      }
    }
    throw new Error("no solution");
  }

  function setFallback(fallback, on, form) {
    if (form) {
      form.querySelectorAll(".altcha-retry-question").forEach(function (line) {
        line.hidden = !on;
      });
      form.querySelectorAll(".altcha-retry-work").forEach(function (line) {
        line.hidden = on;
      });
    }
    if (!fallback) {
      return;
    }
    fallback.hidden = !on;
    fallback.querySelectorAll("input").forEach(function (input) {
      input.disabled = !on;
    });
  }

  function start(widget) {
    var field = widget.querySelector('input[name="captcha_altcha"]');
    var status = widget.querySelector(".altcha-status");
    var fallback = widget.nextElementSibling;
    if (!(fallback && fallback.classList.contains("altcha-fallback"))) {
      fallback = null;
    }
    var form = widget.closest("form");
    if (!field || !status || !window.crypto || !crypto.subtle || !window.TextEncoder) {
      return; // no WebCrypto (e.g. plain http): the reader answers the question instead
    }
    var done = false;
    var sendWhenDone = false;
    setFallback(fallback, false, form);
    status.hidden = false;
    status.textContent = "Checking that this browser is a person's (a few seconds, nothing to do)…";
    if (form) {
      form.addEventListener("submit", function (event) {
        if (!done && fallback && fallback.hidden) {
          event.preventDefault();
          sendWhenDone = true;
          status.textContent = "Still checking… your comment will be sent when it is done.";
        }
      });
    }
    var challenge = JSON.parse(widget.getAttribute("data-altcha-challenge"));
    solve(challenge).then(
      function (solution) {
        field.value = btoa(JSON.stringify({ challenge: challenge, solution: solution }));
        done = true;
        widget.classList.add("altcha-done");
        status.textContent = "Done: you can post your comment.";
        if (sendWhenDone && form) {
          form.requestSubmit();
        }
      },
      function () {
        status.textContent = "The automatic check did not work here: please answer the question instead.";
        setFallback(fallback, true, form);
      }
    );
  }

  document.querySelectorAll(".altcha[data-altcha-challenge]").forEach(start);
})();

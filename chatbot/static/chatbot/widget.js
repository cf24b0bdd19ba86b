/* BenchBarrier chat widget: one <script> tag on the shop's site (README: "Chat widget").
 *
 *   <script src="https://backoffice.example/static/chatbot/widget.js" defer
 *           data-key="<an API key with only the chat scope>"
 *           data-user-id="..." data-user-expires="..." data-user-signature="..."></script>
 *
 * The back office's address is the script's own origin (or data-api). Without data-key
 * it uses the signed-in staff session of the back office itself (the admin's "Try the
 * bot"). Everything the bot or an agent writes is shown as text, never as HTML. The
 * conversation survives page loads (sessionStorage) and new replies are polled for.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var data = script.dataset;
  var api = (data.api || new URL(script.src).origin).replace(/\/$/, "") + "/api/chat/conversations";
  var storeKey = "bb-chat:" + api;
  var state = JSON.parse(sessionStorage.getItem(storeKey) || "null");
  var shown = {};
  var timer = null;

  var host = document.createElement("div");
  host.id = "bb-chat";
  var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial}",
    ".bb{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.4 system-ui,sans-serif;",
    "display:flex;flex-direction:column;align-items:flex-end;gap:8px}",
    ".open{border:0;border-radius:24px;padding:12px 18px;background:#1f6feb;color:#fff;cursor:pointer}",
    ".panel{display:none;width:320px;height:420px;background:#fff;border:1px solid #ccc;border-radius:10px;",
    "box-shadow:0 6px 24px rgba(0,0,0,.2);flex-direction:column;overflow:hidden}",
    ".panel.on{display:flex}.head{padding:10px 12px;background:#1f6feb;color:#fff;font-weight:600}",
    ".log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px}",
    ".m{max-width:80%;padding:6px 10px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{align-self:flex-end;background:#1f6feb;color:#fff}.bot{align-self:flex-start;background:#eee}",
    ".agent{align-self:flex-start;background:#d8f5d0}",
    "form{display:flex;border-top:1px solid #ddd}input{flex:1;border:0;padding:10px;font:inherit}",
    "form button{border:0;background:none;color:#1f6feb;font-weight:600;padding:0 12px;cursor:pointer}"
  ].join("");
  var box = el("div", "bb");
  var button = el("button", "open", data.label || "Chat with us");
  button.type = "button";
  var panel = el("div", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", data.title || "Chat");
  var log = el("div", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form");
  var input = el("input");
  input.placeholder = "Write a message…";
  input.maxLength = 2000;
  input.setAttribute("aria-label", "Your message");
  var send = el("button", "", "Send");
  form.append(input, send);
  panel.append(el("div", "head", data.title || "How can we help?"), log, form);
  box.append(panel, button);
  root.append(style, box);
  document.body.appendChild(host);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function headers() {
    var h = {"Content-Type": "application/json"};
    if (data.key) h.Authorization = "Api-Key " + data.key;
    else {
      var csrf = data.csrf || (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1];
      if (csrf) h["X-CSRFToken"] = decodeURIComponent(csrf);
    }
    if (state) h["X-Conversation-Token"] = state.token;
    return h;
  }

  function call(method, url, body) {
    return fetch(url, {method: method, headers: headers(), credentials: data.key ? "omit" : "same-origin",
                       body: body ? JSON.stringify(body) : undefined}).then(function (r) {
      return r.json().then(function (json) {
        if (!r.ok) throw new Error(json.message || "HTTP " + r.status);
        return json;
      });
    });
  }

  function show(message) {
    if (shown[message.id]) return;
    shown[message.id] = true;
    log.appendChild(el("div", "m " + message.senderType, message.content));
    log.scrollTop = log.scrollHeight;
  }

  function start() {
    if (state) return Promise.resolve(state);
    var body = {};
    if (data.userId) {
      body.userId = data.userId;
      if (data.userSignature) {
        body.userExpires = parseInt(data.userExpires, 10);
        body.userSignature = data.userSignature;
      }
    }
    return call("POST", api, body).then(function (made) {
      state = {id: made.id, token: made.token};
      sessionStorage.setItem(storeKey, JSON.stringify(state));
      return state;
    });
  }

  function poll() {
    if (!state) return;
    call("GET", api + "/" + state.id).then(function (c) { c.messages.forEach(show); })
      .catch(function () { state = null; sessionStorage.removeItem(storeKey); });
  }

  button.addEventListener("click", function () {
    var on = panel.classList.toggle("on");
    clearInterval(timer);
    if (on) {
      poll();
      timer = setInterval(poll, parseInt(data.pollSeconds || "4", 10) * 1000);
      input.focus();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    start().then(function (s) {
      return call("POST", api + "/" + s.id + "/messages", {content: text});
    }).then(function (answer) {
      show(answer.message);
      answer.replies.forEach(show);
    }).catch(function (error) {
      log.appendChild(el("div", "m bot", "Sorry, that didn't go through (" + error.message + ")."));
    });
  });
})();

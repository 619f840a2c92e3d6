// 简报问答's page script: asks without leaving the page, votes, uploads with progress, follows a reindex.
// No framework and no inline script (the Content-Security-Policy forbids it); every piece of HTML inserted here
// was rendered and escaped by the server.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

function say(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

// -- asking: each answer is added to the conversation; the questions asked in this tab stay visible
async function ask(question) {
  const form = document.getElementById("ask-form");
  const error = document.getElementById("ask-error");
  const conversation = document.getElementById("conversation");
  const input = form.querySelector("input[name=q]");
  question = question.trim();
  if (!question) {
    say(error, "问题是空的，请输入要问的内容。");
    return;
  }
  say(error, "");
  form.setAttribute("aria-busy", "true");
  const started = performance.now();
  try {
    const response = await fetch("/card?q=" + encodeURIComponent(question), {headers: {"Accept": "text/html"}});
    const text = await response.text();
    if (!response.ok) {
      say(error, text);
      return;
    }
    const holder = document.createElement("div");
    holder.innerHTML = text;  // the server's escaped card
    const card = holder.firstElementChild;
    conversation.appendChild(card);
    const took = performance.now() - started;
    card.dataset.roundTripMs = took.toFixed(1);
    window.bulletinLastRoundTripMs = took;
    input.value = "";
    card.scrollIntoView({block: "nearest"});
    history.replaceState(null, "", "/?q=" + encodeURIComponent(question));
  } catch (e) {
    say(error, "网络错误，请稍后再试。");
  } finally {
    form.removeAttribute("aria-busy");
    input.focus();
  }
}

async function vote(button) {
  const card = button.closest(".card");
  const status = card.querySelector(".voted");
  const response = await fetch("/api/vote", {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
    body: JSON.stringify({key: card.dataset.key, up: button.dataset.up === "1"}),
  });
  const body = await response.json().catch(() => ({}));
  status.textContent = response.ok ? body.message : (body.error || "投票没有成功。");
  card.querySelectorAll(".vote").forEach((b) => b.setAttribute("aria-pressed", String(b === button && response.ok)));
}

function setUpAsking() {
  const form = document.getElementById("ask-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(form.querySelector("input[name=q]").value);
  });
  document.querySelectorAll("a.example").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    ask(link.dataset.question);
  }));
  document.getElementById("conversation").addEventListener("click", (event) => {
    const button = event.target.closest("button.vote");
    if (button) vote(button);
  });
}

// -- uploads: each file on its own request, with its own progress bar and result
function uploadOne(file, list) {
  return new Promise((resolve) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    const bar = document.createElement("progress");
    const result = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    bar.max = 1;
    bar.value = 0;
    result.className = "result";
    result.textContent = "上传中……";
    item.append(name, bar, result);
    list.appendChild(item);
    const body = new FormData();
    body.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/bulletins");
    request.setRequestHeader("X-CSRF-Token", csrf());
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = event.loaded / event.total;
      if (event.loaded === event.total) result.textContent = "收录中……";
    });
    request.addEventListener("load", () => {
      bar.value = 1;
      let body;
      try { body = JSON.parse(request.responseText); } catch (e) { body = {error: request.responseText}; }
      if (request.status === 200 && Array.isArray(body)) {
        result.textContent = body.map((r) => r.message).join("；");
        item.className = "status-" + body.map((r) => r.status).join(" status-");
      } else {
        result.textContent = body.error || ("上传失败（" + request.status + "）");
        item.className = "status-refused";
      }
      resolve();
    });
    request.addEventListener("error", () => {
      result.textContent = "网络错误，未能上传。";
      item.className = "status-refused";
      resolve();
    });
    request.send(body);
  });
}

async function refreshList() {
  const response = await fetch("/bulletins", {headers: {"Accept": "text/html"}});
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.querySelector(".table-wrap, .bulletins > p.notice:last-child");
  const old = document.querySelector(".table-wrap, .bulletins > p.notice:last-child");
  if (fresh && old) old.replaceWith(document.importNode(fresh, true));
}

async function uploadAll(files) {
  const list = document.getElementById("uploads");
  for (const file of files) await uploadOne(file, list);  // one at a time: the server ingests one at a time
  await refreshList();
}

function setUpUploads() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("files");
  input.addEventListener("change", () => {
    uploadAll(Array.from(input.files));
    input.value = "";
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("dragover", (event) => {
    event.preventDefault();
    form.classList.add("over");
  });
  form.addEventListener("dragleave", () => form.classList.remove("over"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("over");
    uploadAll(Array.from(event.dataTransfer.files));
  });
}

// -- reindex: started once, then followed until it ends
async function followReindex() {
  const bar = document.getElementById("reindex-progress");
  const state = document.getElementById("reindex-state");
  const button = document.getElementById("reindex");
  for (;;) {
    const now = await (await fetch("/api/reindex")).json();
    bar.hidden = !now.running;
    if (now.total) bar.value = now.done / now.total;
    if (now.running) {
      state.textContent = now.total ? `正在重建：已解析 ${now.done}/${now.total} 期……` : "正在重建……";
      button.disabled = true;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    button.disabled = false;
    state.textContent = now.error || now.result;
    return;
  }
}

function setUpReindex() {
  const button = document.getElementById("reindex");
  if (!button) return;
  button.addEventListener("click", async () => {
    const response = await fetch("/api/reindex", {method: "POST", headers: {"X-CSRF-Token": csrf()}});
    if (!response.ok && response.status !== 409) {
      const body = await response.json().catch(() => ({}));
      document.getElementById("reindex-state").textContent = body.error || "未能开始重建。";
      return;
    }
    followReindex();
  });
  followReindex();
}

document.addEventListener("DOMContentLoaded", () => {
  setUpAsking();
  setUpUploads();
  setUpReindex();
});

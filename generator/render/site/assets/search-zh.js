/* Wenkong site: Chinese words in the search box.
 *
 * The search index is segmented at build time (jieba; words separated by U+200B, which is
 * in the search separator), but Material splits a query only at spaces, so "24小时" or a form
 * name such as "顾客投诉处理单" would be one term that matches no indexed word. Before the
 * search sees the query, this script separates its words with the same invisible U+200B,
 * using the browser's own dictionary word segmenter (Intl.Segmenter). Without one (old
 * browsers) queries stay as typed. Nothing is loaded from anywhere.
 */
(function () {
  "use strict";
  if (typeof Intl === "undefined" || typeof Intl.Segmenter !== "function") return;
  var segmenter = new Intl.Segmenter("zh", { granularity: "word" });
  var ZWSP = "\u200b";
  var HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

  function segment(text) {
    var plain = text.split(ZWSP).join("");
    var out = "";
    var previous = null;
    for (var part of segmenter.segment(plain)) {
      // a zero-width space between two word pieces where one of them is Chinese
      if (previous && previous.isWordLike && part.isWordLike &&
          (HAN.test(previous.segment) || HAN.test(part.segment))) {
        out += ZWSP;
      }
      out += part.segment;
      previous = part;
    }
    return out;
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("md-search__input")) {
      return;
    }
    if (event.isComposing) return; // never touch text an input method is still composing
    var value = input.value;
    var segmented = segment(value);
    if (segmented === value) return;
    // keep the caret after the same character it followed
    var caret = input.selectionStart === null ? value.length : input.selectionStart;
    var before = segment(value.slice(0, caret)).length;
    input.value = segmented;
    input.setSelectionRange(before, before);
  }, true);
})();

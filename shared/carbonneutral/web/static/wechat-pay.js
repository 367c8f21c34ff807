// Pays inside WeChat (JSAPI): hands WeChat's bridge the request the server signed, then goes back
// to the order's page, which asks WeChat Pay how the payment stands.
(function () {
  "use strict";
  var button = document.getElementById("wechat-pay");
  if (!button) return;
  var request = JSON.parse(button.getAttribute("data-bridge"));
  var done = button.getAttribute("data-done");
  function pay() {
    if (typeof WeixinJSBridge === "undefined") {
      document.addEventListener("WeixinJSBridgeReady", pay, { once: true });
      return;
    }
    button.disabled = true;
    WeixinJSBridge.invoke("getBrandWCPayRequest", request, function (result) {
      button.disabled = false;
      if (result && result.err_msg === "get_brand_wcpay_request:ok") window.location.assign(done);
    });
  }
  button.addEventListener("click", pay);
})();

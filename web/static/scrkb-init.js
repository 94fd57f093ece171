// Runs first in <body>, before the page is drawn (GOV.UK Frontend's snippet, kept out of
// the page so that the Content-Security-Policy allows no inline script at all).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");

/*
 * WIF stats — browser glue, loaded by Dash after the DSFR script and before the Dash renderer.
 *
 * 1. Starts the DSFR JavaScript. The index page sets `window.dsfr = {mode: "react"}` before loading it:
 *    in that mode the DSFR never rewrites DOM nodes that React owns (no copied header links, no removed
 *    tags); it only manages ARIA attributes and classes of its components (menus, modal, collapses),
 *    and its MutationObserver picks up components that React renders later. The DSFR is loaded as an
 *    ES module (deferred), so it is started on DOMContentLoaded, which runs after module scripts.
 * 2. French locales for Plotly (axis dates, number separators, mode bar) and for the date pickers of
 *    dcc (date-fns locale: month and weekday names).
 * 3. Clientside callbacks of the shell (namespace `wif`): filters kept on in-app links; the public shell
 *    (no menu, status or filters; links to the public home) on public pages; current page marked in the
 *    navigation and menus closed after an in-app navigation.
 */
(function () {
    "use strict";

    var MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre"];
    var SHORT_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
        "nov.", "déc."];
    var DAYS = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"];
    var SHORT_DAYS = ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."];

    /* ---------------------------------------------------------------- Plotly */
    var plotlyFr = {
        moduleType: "locale",
        name: "fr",
        dictionary: {
            "Autoscale": "Échelle automatique",
            "Box Select": "Sélection rectangulaire",
            "Download plot as a png": "Télécharger le graphique (PNG)",
            "Download plot": "Télécharger le graphique",
            "Lasso Select": "Sélection lasso",
            "Pan": "Déplacer",
            "Produced with Plotly.js": "Réalisé avec Plotly.js",
            "Reset axes": "Réinitialiser les axes",
            "Reset view": "Réinitialiser la vue",
            "Toggle Spike Lines": "Afficher les lignes de repère",
            "Zoom": "Zoom",
            "Zoom in": "Zoom avant",
            "Zoom out": "Zoom arrière",
            "Double-click to zoom back out": "Double-cliquer pour revenir",
            "Click to enter X axis title": "Cliquer pour saisir le titre de l'axe X",
            "Click to enter Y axis title": "Cliquer pour saisir le titre de l'axe Y",
            "Click to enter Plot title": "Cliquer pour saisir le titre du graphique",
            "trace": "série"
        },
        format: {
            days: DAYS.map(capitalize),
            shortDays: SHORT_DAYS,
            months: MONTHS,
            shortMonths: SHORT_MONTHS,
            date: "%d/%m/%Y",
            decimal: ",",
            thousands: "\u202f"
        }
    };
    if (window.Plotly && window.Plotly.register) {
        window.Plotly.register(plotlyFr);
    } else {
        window.PlotlyLocales = window.PlotlyLocales || [];
        window.PlotlyLocales.push(plotlyFr);
    }

    /* ---------------------------------------------------------------- date-fns (dcc.DatePicker*) */
    function capitalize(text) { return text.charAt(0).toUpperCase() + text.slice(1); }
    function byWidth(wide, abbreviated, narrow) {
        return function (index, options) {
            var width = (options && options.width) || "wide";
            if (width === "narrow") { return narrow[index]; }
            if (width === "short" || width === "abbreviated") { return abbreviated[index]; }
            return wide[index];
        };
    }
    var dateFnsFr = {
        code: "fr",
        localize: {
            ordinalNumber: function (n) { return n === 1 ? "1er" : n + "e"; },
            era: function (i) { return ["av. J.-C.", "ap. J.-C."][i]; },
            quarter: function (q) { return q + "e trim."; },
            month: byWidth(MONTHS, SHORT_MONTHS, MONTHS.map(function (m) { return m.charAt(0).toUpperCase(); })),
            day: byWidth(DAYS, ["di", "lu", "ma", "me", "je", "ve", "sa"], ["D", "L", "M", "M", "J", "V", "S"]),
            dayPeriod: function (p) { return p === "am" ? "matin" : "après-midi"; }
        },
        formatLong: {
            date: function () { return "dd/MM/y"; },
            time: function () { return "HH:mm"; },
            dateTime: function () { return "{{date}} {{time}}"; }
        },
        options: {weekStartsOn: 1, firstWeekContainsDate: 4}
    };
    window.dateFns = window.dateFns || {};
    window.dateFns.locale = window.dateFns.locale || {};
    window.dateFns.locale.fr = dateFnsFr;

    /* ---------------------------------------------------------------- DSFR */
    document.addEventListener("DOMContentLoaded", function () {
        if (window.dsfr && typeof window.dsfr.start === "function") {
            window.dsfr.start();
        }
    });

    function dsfrApi(node, component) {
        try {
            var instance = window.dsfr && window.dsfr(node);
            return instance ? instance[component] : null;
        } catch (error) {
            return null;
        }
    }

    /* ---------------------------------------------------------------- clientside callbacks */
    function samePath(a, b) {
        var strip = function (p) { return p.length > 1 ? p.replace(/\/+$/, "") : p; };
        return strip(a) === strip(b);
    }

    function isPublic(pathname, publicPaths) {
        return (publicPaths || []).some(function (path) { return samePath(pathname || "/", path); });
    }

    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.wif = {
        /* Every page_link (id {type: "wif-link", path, place}) points to its path plus the current query. */
        withQuery: function (search, pathname, publicPaths) {
            var outputs = window.dash_clientside.callback_context.outputs_list || [];
            var onPublic = isPublic(pathname, publicPaths);
            return outputs.map(function (output) {
                if (!onPublic) { return output.id.path + (search || ""); }
                return isPublic(output.id.path, publicPaths) ? output.id.path : publicPaths[0];
            });
        },

        /* Whether the page is public, once per output (the `hidden` of the parts of the shell it hides). */
        onPublicPage: function (pathname, publicPaths) {
            var hide = isPublic(pathname, publicPaths);
            var outputs = window.dash_clientside.callback_context.outputs_list;
            return Array.isArray(outputs) ? outputs.map(function () { return hide; }) : hide;
        },

        /* aria-current on the link of the current page (and "true" on its menu button); close menus. */
        markCurrentPage: function (pathname) {
            var nav = document.getElementById("navigation");
            if (!nav) { return window.dash_clientside.no_update; }
            nav.querySelectorAll(".fr-nav__link, .fr-nav__btn").forEach(function (node) {
                node.removeAttribute("aria-current");
            });
            nav.querySelectorAll("a.fr-nav__link").forEach(function (link) {
                var url = new URL(link.getAttribute("href") || "/", window.location.origin);
                if (samePath(url.pathname, pathname || "/")) {
                    link.setAttribute("aria-current", "page");
                    var item = link.closest(".fr-nav__item");
                    var button = item && item.querySelector(".fr-nav__btn");
                    if (button) { button.setAttribute("aria-current", "true"); }
                }
            });
            nav.querySelectorAll(".fr-collapse.fr-menu").forEach(function (menu) {
                var collapse = dsfrApi(menu, "collapse");
                if (collapse && collapse.isDisclosed) { collapse.conceal(); }
            });
            var modal = document.getElementById("wif-modal-menu");
            var modalApi = modal && dsfrApi(modal, "modal");
            if (modalApi && modalApi.isDisclosed) { modalApi.conceal(); }
            return pathname;
        }
    };
}());

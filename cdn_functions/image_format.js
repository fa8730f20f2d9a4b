// imagepipe's CloudFront Function (cloudfront-js-2.0, viewer request) of the /images/auto/* behaviour:
// the image format a browser is sent, chosen from its Accept header.
//
// A record's optimized_url and thumbnail_url are /images/auto/<formats>/<variant>/<file>.<jpg|png>,
// where <formats> names the modern formats published for that image (e.g. "avif-webp"). This
// function rewrites the URI to the published key of the best one the browser accepts, AVIF, else
// WebP, else the JPEG/PNG itself: /images/<variant>/<file>.avif. CloudFront runs it before it looks
// in its cache, and keys the cache on the rewritten URI, so the cache holds one answer per format
// (the Accept header normalised to one of three values), never one per browser's Accept.
//
// Only an explicit, acceptable media type counts (image/avif;q=0 refuses it; image/* and */* do
// not say that the browser decodes AVIF). Any other path under /images/auto/ is 404 here, not cached.
// Names shared with the Python side are checked against handlers/contract.py by
// tests/unit/cdn_functions/test_image_format.py.

var AUTO = "/images/auto/";
var PUBLISHED = "/images/";
var PREFERRED = ["avif", "webp"]; // the modern formats, best first
var BASES = ["jpg", "png"];
var VARIANT = /^[a-z]+$/;
var FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function acceptable(accept, type) {
    var ranges = accept.toLowerCase().split(",");
    for (var i = 0; i < ranges.length; i++) {
        var parameters = ranges[i].split(";");
        if (parameters[0].trim() !== type) {
            continue;
        }
        var quality = 1;
        for (var j = 1; j < parameters.length; j++) {
            var parameter = parameters[j].trim();
            if (parameter.indexOf("q=") === 0) {
                quality = Number(parameter.substring(2));
            }
        }
        return quality > 0;
    }
    return false;
}

function notFound() {
    return { statusCode: 404, statusDescription: "Not Found", headers: { "cache-control": { value: "no-store" } } };
}

function handler(event) {
    var request = event.request;
    var parts = request.uri.substring(AUTO.length).split("/");
    if (request.uri.indexOf(AUTO) !== 0 || parts.length !== 3 || !VARIANT.test(parts[1]) || !FILE.test(parts[2])) {
        return notFound();
    }
    var offered = parts[0].split("-");
    var dot = parts[2].lastIndexOf(".");
    var base = parts[2].substring(dot + 1);
    if (dot <= 0 || BASES.indexOf(base) < 0) {
        return notFound();
    }
    for (var i = 0; i < offered.length; i++) {
        if (PREFERRED.indexOf(offered[i]) < 0) {
            return notFound(); // a format this function does not know
        }
    }
    var accept = request.headers.accept ? request.headers.accept.value : "";
    var chosen = base;
    for (var k = 0; k < PREFERRED.length; k++) {
        if (offered.indexOf(PREFERRED[k]) >= 0 && acceptable(accept, "image/" + PREFERRED[k])) {
            chosen = PREFERRED[k];
            break;
        }
    }
    request.uri = PUBLISHED + parts[1] + "/" + parts[2].substring(0, dot) + "." + chosen;
    return request;
}

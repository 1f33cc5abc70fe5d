
/*
 * Copyright (C) ngx_strm authors
 */


/*
 * strm-export's data connectors: a local directory, S3 (and any store
 * that speaks its API) and Google Cloud Storage through its XML API
 * with HMAC keys.  Requests are signed with AWS Signature V4
 * (core/strm_sigv4.c) and sent with libcurl: no SDK.
 */

#define _GNU_SOURCE  /* asprintf */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "strm_export.h"
#include "strm_sigv4.h"
#include "strm_worker.h"


#define STRM_EXPORT_RESPONSE_MAX  65536
#define STRM_EXPORT_MAX_PARTS     10000


typedef struct {
    char                 *data;
    size_t                len;
    char                  etag[256];
} strm_export_response_t;


static int strm_export_file_put(strm_export_conn_t *c, const char *name,
    const unsigned char *data, size_t len);
static int strm_export_mkdirs(strm_export_conn_t *c, char *path);
static int strm_export_s3_put(strm_export_conn_t *c, const char *key,
    const char *content_type, const unsigned char *data, size_t len);
static int strm_export_s3_multipart(strm_export_conn_t *c, const char *key,
    const char *content_type, const unsigned char *data, size_t len);
static int strm_export_http(strm_export_conn_t *c, const char *method,
    const char *key, const char *query, const char *content_type,
    const unsigned char *body, size_t len, strm_export_response_t *res);
static char *strm_export_host(strm_export_conn_t *c);
static int strm_export_xml(const char *xml, const char *tag, char *out,
    size_t size);
static size_t strm_export_write_cb(char *ptr, size_t size, size_t n,
    void *data);
static size_t strm_export_header_cb(char *ptr, size_t size, size_t n,
    void *data);
static char *strm_export_strndup_trim(const char *s, size_t len);


int
strm_export_conn_parse(strm_export_conn_t *c, const char *url, char *err,
    size_t errlen)
{
    size_t       n;
    const char  *p, *slash;

    c->url = strdup(url);
    c->path_style = -1;

    if (strncmp(url, "file://", 7) == 0) {
        c->kind = STRM_EXPORT_FILE;
        p = url + 7;

        if (p[0] != '/' || p[1] == '\0') {
            snprintf(err, errlen, "invalid connector \"%s\": file:// needs "
                     "an absolute directory (file:///var/lib/strm/export)",
                     url);
            return -1;
        }

        c->dir = strm_export_strndup_trim(p, strlen(p));
        c->prefix = strdup("");

        return (c->dir == NULL || c->prefix == NULL) ? -1 : 0;
    }

    if (strncmp(url, "s3://", 5) == 0) {
        c->kind = STRM_EXPORT_S3;

    } else if (strncmp(url, "gs://", 5) == 0) {
        c->kind = STRM_EXPORT_GS;

    } else {
        snprintf(err, errlen, "invalid connector \"%s\": file://DIR, "
                 "s3://BUCKET/PREFIX or gs://BUCKET/PREFIX", url);
        return -1;
    }

    p = url + 5;
    slash = strchr(p, '/');
    n = slash ? (size_t) (slash - p) : strlen(p);

    /* S3's bucket naming rules, the part that matters to a URL */
    if (n < 3 || n > 63 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789"
                                     ".-_") < n)
    {
        snprintf(err, errlen, "invalid connector \"%s\": the bucket name "
                 "is 3 to 63 lowercase letters, digits, '.', '-' or '_'",
                 url);
        return -1;
    }

    c->bucket = strndup(p, n);
    c->prefix = strm_export_strndup_trim(slash ? slash + 1 : "",
                                         slash ? strlen(slash + 1) : 0);

    if (c->bucket == NULL || c->prefix == NULL) {
        return -1;
    }

    if (strstr(c->prefix, "//") != NULL || strlen(c->prefix) > 900) {
        snprintf(err, errlen, "invalid connector \"%s\": the prefix has an "
                 "empty segment or is longer than 900", url);
        return -1;
    }

    return 0;
}


/* a copy without the '/' at either end */
static char *
strm_export_strndup_trim(const char *s, size_t len)
{
    while (len > 0 && s[len - 1] == '/') {
        len--;
    }

    while (len > 0 && s[0] == '/' && s[1] == '/') {
        s++;
        len--;
    }

    return strndup(s, len);
}


int
strm_export_conn_init(strm_export_conn_t *c, char *err, size_t errlen)
{
    char         buf[512];
    const char  *v;

    if (c->kind == STRM_EXPORT_FILE) {
        buf[0] = '\0';

        if (mkdir(c->dir, 0750) == -1 && errno != EEXIST) {
            snprintf(err, errlen, "connector \"%s\": %s", c->url,
                     strerror(errno));
            return -1;
        }

        if (access(c->dir, W_OK) == -1) {
            snprintf(err, errlen, "connector \"%s\": %s", c->url,
                     strerror(errno));
            return -1;
        }

        return 0;
    }

    if (c->region == NULL) {
        v = getenv("AWS_REGION");
        c->region = strdup(c->kind == STRM_EXPORT_GS ? "auto"
                           : v != NULL ? v : "us-east-1");
    }

    if (c->endpoint == NULL) {
        if (c->kind == STRM_EXPORT_GS) {
            c->endpoint = strdup("https://storage.googleapis.com");

        } else {
            snprintf(buf, sizeof(buf), "https://s3.%s.amazonaws.com",
                     c->region);
            c->endpoint = strdup(buf);
        }

        /* AWS wants virtual-hosted names; GCS takes both */
        if (c->path_style == -1) {
            c->path_style = (c->kind == STRM_EXPORT_GS
                             || strchr(c->bucket, '.') != NULL);
        }

    } else if (c->path_style == -1) {
        /* a MinIO, Ceph or test server: path style is what they all do */
        c->path_style = 1;
    }

    if (strncmp(c->endpoint, "http://", 7) != 0
        && strncmp(c->endpoint, "https://", 8) != 0)
    {
        snprintf(err, errlen, "connector \"%s\": endpoint \"%s\" is not "
                 "http:// or https://", c->url, c->endpoint);
        return -1;
    }

    if (c->access_key == NULL && c->secret_key == NULL) {
        v = getenv("AWS_ACCESS_KEY_ID");
        c->access_key = v ? strdup(v) : NULL;
        v = getenv("AWS_SECRET_ACCESS_KEY");
        c->secret_key = v ? strdup(v) : NULL;

        if (c->session_token == NULL) {
            v = getenv("AWS_SESSION_TOKEN");
            c->session_token = v ? strdup(v) : NULL;
        }
    }

    if (c->access_key == NULL || c->secret_key == NULL) {
        snprintf(err, errlen, "connector \"%s\" has no credentials: "
                 "\"access_key_id\" and \"secret_access_key\", or "
                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", c->url);
        return -1;
    }

    if (c->multipart_threshold == 0) {
        c->multipart_threshold = 16 * 1024 * 1024;
    }

    if (c->part_size == 0) {
        c->part_size = 8 * 1024 * 1024;
    }

    if (c->timeout == 0) {
        c->timeout = 60000;
    }

    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        snprintf(err, errlen, "connector \"%s\": curl_easy_init() failed",
                 c->url);
        return -1;
    }

    return 0;
}


void
strm_export_conn_free(strm_export_conn_t *c)
{
    if (c->curl != NULL) {
        curl_easy_cleanup(c->curl);
    }

    if (c->secret_key != NULL) {
        OPENSSL_cleanse(c->secret_key, strlen(c->secret_key));
    }

    free(c->url);
    free(c->dir);
    free(c->bucket);
    free(c->prefix);
    free(c->endpoint);
    free(c->region);
    free(c->access_key);
    free(c->secret_key);
    free(c->session_token);
}


int
strm_export_conn_put(strm_export_conn_t *c, const char *name,
    const char *content_type, const unsigned char *data, size_t len)
{
    int     rc;
    size_t  n;
    char   *key;

    c->last_error[0] = '\0';

    if (c->kind == STRM_EXPORT_FILE) {
        rc = strm_export_file_put(c, name, data, len);

    } else {
        n = strlen(c->prefix) + strlen(name) + 2;
        key = malloc(n);
        if (key == NULL) {
            return -1;
        }

        snprintf(key, n, "%s%s%s", c->prefix, c->prefix[0] ? "/" : "",
                 name);

        rc = (len > c->multipart_threshold)
             ? strm_export_s3_multipart(c, key, content_type, data, len)
             : strm_export_s3_put(c, key, content_type, data, len);

        free(key);
    }

    if (rc == 0) {
        c->objects++;
        c->bytes += len;
        snprintf(c->last_object, sizeof(c->last_object), "%s%s%s", c->url,
                 c->url[strlen(c->url) - 1] == '/' ? "" : "/", name);

    } else {
        c->failures++;
    }

    return rc;
}


/* DIR/name.tmp, fsync, rename to DIR/name, fsync the directory */
static int
strm_export_file_put(strm_export_conn_t *c, const char *name,
    const unsigned char *data, size_t len)
{
    int      fd;
    char    *slash;
    ssize_t  n;
    char     path[4096], tmp[4096];

    if ((size_t) snprintf(path, sizeof(path), "%s/%s", c->dir, name)
        >= sizeof(path))
    {
        snprintf(c->last_error, sizeof(c->last_error), "name too long");
        return -1;
    }

    if (strm_export_mkdirs(c, path) != 0) {
        return -1;
    }

    slash = strrchr(path, '/');
    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int) (slash - path), path,
             slash + 1);

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd == -1) {
        goto failed;
    }

    while (len > 0) {
        n = write(fd, data, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            close(fd);
            goto failed;
        }

        data += n;
        len -= (size_t) n;
    }

    if (fsync(fd) == -1) {
        close(fd);
        goto failed;
    }

    close(fd);

    if (rename(tmp, path) == -1) {
        goto failed;
    }

    /* the rename itself is durable once its directory is synced */
    *slash = '\0';
    fd = open(path, O_RDONLY | O_DIRECTORY);

    if (fd != -1) {
        fsync(fd);
        close(fd);
    }

    return 0;

failed:

    snprintf(c->last_error, sizeof(c->last_error), "%.300s: %s", tmp,
             strerror(errno));
    unlink(tmp);

    return -1;
}


/* the directories of path below the connector's directory */
static int
strm_export_mkdirs(strm_export_conn_t *c, char *path)
{
    char  *p;

    for (p = path + strlen(c->dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';

        if (mkdir(path, 0750) == -1 && errno != EEXIST) {
            snprintf(c->last_error, sizeof(c->last_error), "%.300s: %s", path,
                     strerror(errno));
            *p = '/';
            return -1;
        }

        *p = '/';
    }

    return 0;
}


static int
strm_export_s3_put(strm_export_conn_t *c, const char *key,
    const char *content_type, const unsigned char *data, size_t len)
{
    int                     rc;
    strm_export_response_t  res;

    memset(&res, 0, sizeof(strm_export_response_t));
    rc = strm_export_http(c, "PUT", key, NULL, content_type, data, len, &res);
    free(res.data);

    return rc;
}


/*
 * CreateMultipartUpload, UploadPart for every part_size bytes,
 * CompleteMultipartUpload; AbortMultipartUpload when a step fails, so
 * that no part is left to bill.
 */
static int
strm_export_s3_multipart(strm_export_conn_t *c, const char *key,
    const char *content_type, const unsigned char *data, size_t len)
{
    int                     rc;
    FILE                   *xml;
    char                   *body, *enc;
    size_t                  off, n, nparts, part, blen, elen;
    strm_export_response_t  res;
    char                    upload_id[512], query[1024];
    char               saved[sizeof(((strm_export_conn_t *) 0)->last_error)];

    nparts = (len + c->part_size - 1) / c->part_size;

    if (nparts > STRM_EXPORT_MAX_PARTS) {
        snprintf(c->last_error, sizeof(c->last_error), "%zu parts: more "
                 "than %d, raise \"part_size\"", nparts, STRM_EXPORT_MAX_PARTS);
        return -1;
    }

    memset(&res, 0, sizeof(strm_export_response_t));

    if (strm_export_http(c, "POST", key, "uploads", content_type, NULL, 0, &res)
        != 0)
    {
        free(res.data);
        return -1;
    }

    rc = strm_export_xml(res.data, "UploadId", upload_id, sizeof(upload_id));
    free(res.data);

    if (rc != 0 || upload_id[0] == '\0') {
        snprintf(c->last_error, sizeof(c->last_error), "no UploadId in the "
                 "answer to CreateMultipartUpload");
        return -1;
    }

    elen = strm_sigv4_uri_encode(NULL, upload_id, strlen(upload_id), 1);
    enc = malloc(elen + 1);
    if (enc == NULL) {
        return -1;
    }

    strm_sigv4_uri_encode(enc, upload_id, strlen(upload_id), 1);
    enc[elen] = '\0';

    xml = open_memstream(&body, &blen);
    if (xml == NULL) {
        free(enc);
        return -1;
    }

    fputs("<CompleteMultipartUpload>", xml);
    rc = 0;

    for (part = 1, off = 0; off < len; part++, off += n) {
        n = len - off < c->part_size ? len - off : c->part_size;

        snprintf(query, sizeof(query), "partNumber=%zu&uploadId=%s", part,
                 enc);
        memset(&res, 0, sizeof(strm_export_response_t));

        rc = strm_export_http(c, "PUT", key, query, NULL, data + off, n, &res);
        free(res.data);

        if (rc != 0) {
            break;
        }

        if (res.etag[0] == '\0') {
            snprintf(c->last_error, sizeof(c->last_error), "no ETag for "
                     "part %zu", part);
            rc = -1;
            break;
        }

        fprintf(xml, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag>"
                     "</Part>", part, res.etag);
    }

    fputs("</CompleteMultipartUpload>", xml);
    fclose(xml);

    if (rc == 0) {
        snprintf(query, sizeof(query), "uploadId=%s", enc);
        memset(&res, 0, sizeof(strm_export_response_t));

        rc = strm_export_http(c, "POST", key, query, "application/xml",
                              (unsigned char *) body, blen, &res);

        /* S3 may answer 200 and put its error in the body */
        if (rc == 0 && res.data != NULL && strstr(res.data, "<Error>")) {
            char  code[128];

            if (strm_export_xml(res.data, "Code", code, sizeof(code)) != 0) {
                code[0] = '\0';
            }

            snprintf(c->last_error, sizeof(c->last_error),
                     "CompleteMultipartUpload: %s", code);
            rc = -1;
        }

        free(res.data);
    }

    free(body);

    if (rc != 0) {
        memcpy(saved, c->last_error, sizeof(saved));
        snprintf(query, sizeof(query), "uploadId=%s", enc);
        memset(&res, 0, sizeof(strm_export_response_t));
        (void) strm_export_http(c, "DELETE", key, query, NULL, NULL, 0, &res);
        free(res.data);
        memcpy(c->last_error, saved, sizeof(saved));
    }

    free(enc);

    return rc;
}


/*
 * One signed request.  key is the object key (not encoded yet), query
 * is encoded already.  0 on a 2xx answer, else -1 with last_error.
 */
static int
strm_export_http(strm_export_conn_t *c, const char *method, const char *key,
    const char *query, const char *content_type, const unsigned char *body,
    size_t len, strm_export_response_t *res)
{
    int                    rc;
    long                   status;
    char                  *host, *path, *url, *p;
    size_t                 nh, plen, klen;
    time_t                 now;
    struct tm              tm;
    CURLcode               cc;
    struct curl_slist     *hl;
    strm_sigv4_header_t    hs[5];
    strm_sigv4_request_t   req;
    strm_sigv4_result_t    sig;
    char                   date[STRM_SIGV4_DATE_LEN + 1];
    char                   hash[STRM_SIGV4_HEX_LEN + 1];
    char                   line[8192], code[128], msg[256];

    c->requests++;
    rc = -1;
    hl = NULL;
    url = NULL;
    memset(&sig, 0, sizeof(strm_sigv4_result_t));

    host = strm_export_host(c);
    if (host == NULL) {
        return -1;
    }

    /* /bucket/key (path style) or /key (virtual host), key encoded */
    klen = strm_sigv4_uri_encode(NULL, key, strlen(key), 0);
    plen = strlen(c->bucket) + klen + 3;
    path = malloc(plen);
    if (path == NULL) {
        free(host);
        return -1;
    }

    p = path;

    if (c->path_style) {
        p += sprintf(p, "/%s", c->bucket);
    }

    *p++ = '/';
    p += strm_sigv4_uri_encode(p, key, strlen(key), 0);
    *p = '\0';

    now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
    strm_sigv4_sha256_hex(body != NULL ? body : (unsigned char *) "", len,
                          hash);

    nh = 0;
    hs[nh].name = "host";
    hs[nh++].value = host;
    hs[nh].name = "x-amz-content-sha256";
    hs[nh++].value = hash;
    hs[nh].name = "x-amz-date";
    hs[nh++].value = date;

    if (content_type != NULL) {
        hs[nh].name = "content-type";
        hs[nh++].value = content_type;
    }

    memset(&req, 0, sizeof(strm_sigv4_request_t));
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = hs;
    req.nheaders = nh;
    req.payload_hash = hash;
    req.region = c->region;
    req.service = "s3";
    req.access_key = c->access_key;
    req.secret_key = c->secret_key;
    req.session_token = c->session_token;
    req.amz_date = date;
    req.normalize_path = 0;
    req.encode_path = 0;

    if (strm_sigv4_sign(&req, &sig) != STRM_OK) {
        snprintf(c->last_error, sizeof(c->last_error), "cannot sign the "
                 "request (region, key id or object name)");
        goto done;
    }

    if (asprintf(&url, "%s%s%s%s%s",
                 strncmp(c->endpoint, "https", 5) == 0 ? "https://"
                                                       : "http://",
                 host, path, query ? "?" : "", query ? query : "") == -1)
    {
        url = NULL;
        goto done;
    }

#define STRM_EXPORT_HEADER(fmt, ...)                                         \
    snprintf(line, sizeof(line), fmt, __VA_ARGS__);                          \
    hl = curl_slist_append(hl, line);

    STRM_EXPORT_HEADER("Host: %s", host)
    STRM_EXPORT_HEADER("x-amz-date: %s", date)
    STRM_EXPORT_HEADER("x-amz-content-sha256: %s", hash)
    STRM_EXPORT_HEADER("Authorization: %s", sig.authorization)

    if (c->session_token != NULL) {
        STRM_EXPORT_HEADER("x-amz-security-token: %s", c->session_token)
    }

    if (content_type != NULL) {
        STRM_EXPORT_HEADER("Content-Type: %s", content_type)

    } else {
        hl = curl_slist_append(hl, "Content-Type:");
    }

#undef STRM_EXPORT_HEADER

    hl = curl_slist_append(hl, "Expect:");
    OPENSSL_cleanse(line, sizeof(line));

    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long) c->timeout);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, strm_export_write_cb);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, strm_export_header_cb);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, res);

    if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
                         body != NULL ? (const char *) body : "");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t) len);
    }

    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);

    cc = curl_easy_perform(c->curl);

    if (cc != CURLE_OK) {
        snprintf(c->last_error, sizeof(c->last_error), "%s %s: %s", method,
                 c->endpoint, curl_easy_strerror(cc));
        goto done;
    }

    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);

    if (status < 200 || status > 299) {
        if (res->data == NULL
            || strm_export_xml(res->data, "Code", code, sizeof(code)) != 0)
        {
            code[0] = '\0';
        }

        if (res->data == NULL
            || strm_export_xml(res->data, "Message", msg, sizeof(msg)) != 0)
        {
            msg[0] = '\0';
        }

        snprintf(c->last_error, sizeof(c->last_error), "%s: HTTP %ld%s%s%s%s",
                 method, status, code[0] ? " " : "", code, msg[0] ? ": " : "",
                 msg);
        goto done;
    }

    rc = 0;

done:

    curl_slist_free_all(hl);
    strm_sigv4_result_free(&sig);
    free(url);
    free(path);
    free(host);

    return rc;
}


/* the Host header: the endpoint's, with the bucket first when virtual */
static char *
strm_export_host(strm_export_conn_t *c)
{
    char        *host;
    size_t       n;
    const char  *h, *end;

    h = strstr(c->endpoint, "://") + 3;
    end = strchr(h, '/');
    n = end ? (size_t) (end - h) : strlen(h);

    /* the default port is not part of what curl sends, nor what we sign */
    if (strncmp(c->endpoint, "https://", 8) == 0 && n > 4
        && strncmp(h + n - 4, ":443", 4) == 0)
    {
        n -= 4;

    } else if (strncmp(c->endpoint, "http://", 7) == 0 && n > 3
               && strncmp(h + n - 3, ":80", 3) == 0)
    {
        n -= 3;
    }

    if (c->path_style) {
        return strndup(h, n);
    }

    if (asprintf(&host, "%s.%.*s", c->bucket, (int) n, h) == -1) {
        return NULL;
    }

    return host;
}


/* the text of the first <tag>...</tag>; entities are left as they are */
static int
strm_export_xml(const char *xml, const char *tag, char *out, size_t size)
{
    size_t       n;
    const char  *p, *e;
    char         open[64], close[64];

    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);

    if (xml == NULL || (p = strstr(xml, open)) == NULL) {
        return -1;
    }

    p += strlen(open);
    e = strstr(p, close);

    if (e == NULL) {
        return -1;
    }

    n = (size_t) (e - p);

    if (n >= size) {
        n = size - 1;
    }

    memcpy(out, p, n);
    out[n] = '\0';

    return 0;
}


static size_t
strm_export_write_cb(char *ptr, size_t size, size_t n, void *data)
{
    char                    *d;
    strm_export_response_t  *res = data;

    n *= size;

    /* an answer is small XML: anything past the bound is not kept */
    if (res->len + n > STRM_EXPORT_RESPONSE_MAX) {
        return n;
    }

    d = realloc(res->data, res->len + n + 1);
    if (d == NULL) {
        return 0;
    }

    memcpy(d + res->len, ptr, n);
    res->len += n;
    d[res->len] = '\0';
    res->data = d;

    return n;
}


static size_t
strm_export_header_cb(char *ptr, size_t size, size_t n, void *data)
{
    size_t                   len, v;
    strm_export_response_t  *res = data;

    len = size * n;

    if (len > 5 && strncasecmp(ptr, "etag:", 5) == 0) {
        for (v = 5; v < len && (ptr[v] == ' ' || ptr[v] == '\t'); v++) {
            /* void */
        }

        while (len > v && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'
                           || ptr[len - 1] == ' '))
        {
            len--;
        }

        if (len - v < sizeof(res->etag)) {
            memcpy(res->etag, ptr + v, len - v);
            res->etag[len - v] = '\0';
        }
    }

    return size * n;
}

/* The focal point of a source: what a crop must keep in frame.  Read once
 * per job, after the header, from (in order) the object's user metadata
 * `focal-point: x,y`, the XMP regions of the Metadata Working Group
 * (mwg-rs:Regions, written by Lightroom, digiKam, Picasa and most phones'
 * photo managers), then Microsoft's (MP:RegionInfo, Windows Photo Gallery).
 * Coordinates are fractions of the upright image, as those tools write
 * them for the picture they show. */
#include "focus.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "record.h"

#define NS_MWG_RS "http://www.metadataworkinggroup.com/schemas/regions/"
#define NS_ST_AREA "http://ns.adobe.com/xmp/sType/Area#"
#define NS_MP_REG "http://ns.microsoft.com/photo/1.2/t/Region#"

/* XMP larger than this is not read for regions: a packet of faces is a
 * few kilobytes, and a hostile one must not cost a big parse. */
#define XMP_MAX (1u << 20)
#define REGIONS_MAX 256

/* The union of the regions found so far. */
typedef struct box {
    double l, t, r, b;
    int n;
} box;

static void box_add(box *u, double l, double t, double r, double b)
{
    if (!(l >= 0 && t >= 0 && r <= 1 && b <= 1 && l <= r && t <= b) || u->n >= REGIONS_MAX)
        return; /* outside the image, or not numbers: a broken writer */
    if (u->n++ == 0) {
        *u = (box){ l, t, r, b, 1 };
        return;
    }
    u->l = fmin(u->l, l);
    u->t = fmin(u->t, t);
    u->r = fmax(u->r, r);
    u->b = fmax(u->b, b);
}

/* A number written in full, nothing after it; NAN otherwise. */
static double number(const char *s)
{
    char *end;
    if (!s)
        return NAN;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return end != s && *end == '\0' ? v : NAN;
}

/* The value of property name (namespace ns) of element e: an attribute
 * (the compact form) or a child element's text.  Caller frees with
 * xmlFree(); NULL when absent. */
static char *property(xmlNode *e, const char *ns, const char *name)
{
    xmlChar *v = xmlGetNsProp(e, (const xmlChar *)name, (const xmlChar *)ns);
    if (v)
        return (char *)v;
    for (xmlNode *c = e->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && xmlStrEqual(c->ns->href, (const xmlChar *)ns) &&
            xmlStrEqual(c->name, (const xmlChar *)name))
            return (char *)xmlNodeGetContent(c);
    return NULL;
}

static bool named(const xmlNode *e, const char *ns, const char *name)
{
    return e->type == XML_ELEMENT_NODE && e->ns &&
           xmlStrEqual(e->ns->href, (const xmlChar *)ns) &&
           xmlStrEqual(e->name, (const xmlChar *)name);
}

/* mwg-rs Area: stArea:x, y the centre, w, h the size, in 0..1 when
 * stArea:unit is "normalized" (the only unit the guidelines define). */
static void mwg_area(xmlNode *e, box *u)
{
    char *unit = property(e, NS_ST_AREA, "unit");
    char *x = property(e, NS_ST_AREA, "x"), *y = property(e, NS_ST_AREA, "y");
    char *w = property(e, NS_ST_AREA, "w"), *h = property(e, NS_ST_AREA, "h");
    if (!unit || strcmp(unit, "normalized") == 0) {
        double cx = number(x), cy = number(y);
        double hw = w ? number(w) / 2 : 0, hh = h ? number(h) / 2 : 0;
        box_add(u, cx - hw, cy - hh, cx + hw, cy + hh);
    }
    char *owned[] = { unit, x, y, w, h };
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        xmlFree(owned[i]);
}

/* MPReg:Rectangle "left, top, width, height", in 0..1. */
static void mp_rectangle(xmlNode *e, box *u)
{
    char *rect = property(e, NS_MP_REG, "Rectangle");
    double v[4];
    if (rect && sscanf(rect, "%lf , %lf , %lf , %lf", &v[0], &v[1], &v[2], &v[3]) == 4)
        box_add(u, v[0], v[1], v[0] + v[2], v[1] + v[3]);
    xmlFree(rect);
}

/* Walks the tree (bounded depth: XMP nests a few levels) for the regions
 * of one schema. */
static void walk(xmlNode *n, int depth, bool mwg, box *u)
{
    for (; n && depth < 64; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (mwg && named(n, NS_MWG_RS, "Area"))
            mwg_area(n, u);
        else if (!mwg && !named(n, NS_MP_REG, "Rectangle"))
            mp_rectangle(n, u); /* a region: Rectangle is its attribute or child */
        walk(n->children, depth + 1, mwg, u);
    }
}

static void set_box(pix_job *job, const box *u, const char *origin)
{
    job->focus = (pix_focus){
        .x = (u->l + u->r) / 2, .y = (u->t + u->b) / 2,
        .left = u->l, .top = u->t, .width = u->r - u->l, .height = u->b - u->t,
        .origin = origin,
    };
    job->has_focus = true;
}

/* From the object's user metadata, kept by fetch. */
static bool from_metadata(pix_job *job)
{
    const char *v = job->focal_point;
    double x, y;
    char tail;

    if (!*v)
        return false;
    if (sscanf(v, " %lf , %lf %c", &x, &y, &tail) != 2 || !(x >= 0 && x <= 1) ||
        !(y >= 0 && y <= 1)) {
        pix_job_note(job, "focal-point '%.64s' ignored: expected x,y with both in 0..1", v);
        return false;
    }
    set_box(job, &(box){ x, y, x, y, 1 }, "metadata");
    return true;
}

static bool from_xmp(pix_job *job)
{
    const void *data = NULL;
    size_t len = 0;
    box mwg = { 0 }, mp = { 0 };

    if (!job->header || vips_image_get_typeof(job->header, VIPS_META_XMP_NAME) == 0 ||
        vips_image_get_blob(job->header, VIPS_META_XMP_NAME, &data, &len) || !len)
        return false;
    if (len > XMP_MAX)
        return false;
    /* No network, no DTD, no entity expansion: the packet is a stranger's. */
    xmlDoc *doc = xmlReadMemory(data, (int)len, "xmp", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return false;
    xmlNode *root = xmlDocGetRootElement(doc);
    walk(root, 0, true, &mwg);
    if (!mwg.n)
        walk(root, 0, false, &mp);
    xmlFreeDoc(doc);
    if (mwg.n)
        set_box(job, &mwg, "xmp-mwg");
    else if (mp.n)
        set_box(job, &mp, "xmp-mpri");
    return job->has_focus;
}

void pix_job_read_focus(pix_job *job)
{
    if (!from_metadata(job) && !from_xmp(job))
        return;
    const pix_focus *f = &job->focus;
    pix_record *r = pix_rec_object(job->record, "focus");
    pix_rec_set_num(r, "x", round(f->x * 1e4) / 1e4);
    pix_rec_set_num(r, "y", round(f->y * 1e4) / 1e4);
    if (f->width > 0 || f->height > 0) {
        pix_record *b = pix_rec_object(r, "box");
        pix_rec_set_num(b, "left", round(f->left * 1e4) / 1e4);
        pix_rec_set_num(b, "top", round(f->top * 1e4) / 1e4);
        pix_rec_set_num(b, "width", round(f->width * 1e4) / 1e4);
        pix_rec_set_num(b, "height", round(f->height * 1e4) / 1e4);
    }
    pix_rec_set_str(r, "origin", f->origin);
}

const pix_focus *pix_job_focus(pix_job *job)
{
    return job->has_focus ? &job->focus : NULL;
}

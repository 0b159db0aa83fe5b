/* swell-thumbnailer.h: thumbnails for the grids, loaded off the main thread.
 *
 * Worker threads read the cached thumbnail bytes from the project through
 * their own connections and decode them to textures at display size; the
 * main thread gets them through callbacks. Textures are kept in an LRU cache
 * bounded by count, so scrolling back is instant. Requests for tiles that
 * scrolled away before a worker reached them are dropped (cancel). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SWELL_TYPE_THUMBNAILER (swell_thumbnailer_get_type ())
G_DECLARE_FINAL_TYPE (SwellThumbnailer, swell_thumbnailer, SWELL, THUMBNAILER, GObject)

/* Longest side of the decoded textures, in pixels. */
#define SWELL_THUMB_PX 192

SwellThumbnailer *swell_thumbnailer_new (const char *project_path);

typedef void (*SwellThumbnailFunc) (GdkTexture *texture, gpointer user_data);

/* If cached, returns the texture (borrowed) and does not call func. Else
 * queues a load and returns NULL; func is called later on the main thread
 * with the texture (or NULL if the image could not be read), unless the
 * request was cancelled first with the same user_data. */
GdkTexture *swell_thumbnailer_request (SwellThumbnailer *self, gint64 image_id, SwellThumbnailFunc func,
                                       gpointer user_data);
/* The cached texture or NULL (borrowed); never queues a load. */
GdkTexture *swell_thumbnailer_lookup (SwellThumbnailer *self, gint64 image_id);
void swell_thumbnailer_cancel (SwellThumbnailer *self, gpointer user_data);
/* Forget a cached texture (after a change of the image). */
void swell_thumbnailer_invalidate (SwellThumbnailer *self, gint64 image_id);
/* The shared thumbnailer of a project path (one per open project). */
SwellThumbnailer *swell_thumbnailer_get_for_path (const char *project_path);

G_END_DECLS

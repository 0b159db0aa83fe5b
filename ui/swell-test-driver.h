/* swell-test-driver.h: a test-only way to drive the window, built only into
 * the swell-test-window executable (meson option test_driver), never into
 * swell. When the environment variable SWELL_TEST_SCRIPT names a file, the
 * first window runs its commands one per line, in order, on the main loop
 * (blank lines and lines starting with # are skipped):
 *
 *   wait MS                     let the main loop run for MS milliseconds
 *   open PATH                   open a project in this window
 *   close-project               back to the welcome view
 *   view NAME                   label | train | results | predict
 *   menu                        pop up the main menu
 *   close-menu                  close the main menu
 *   shortcuts                   open the keyboard shortcuts window
 *   app-action NAME             activate app.NAME (about, preferences, …) as the main menu does
 *   close-dialogs               close any dialog windows
 *   category N                  select the N-th sidebar row of the Label view
 *   add-category NAME           create a category
 *   category-action ACTION      what the sidebar's context menu does on the selected category:
 *                               rename-category, recolor-category or delete-category
 *   select-all                  select every thumbnail shown
 *   label-key N                 what the 1-9 / 0 key bindings of the Label view do
 *   delete-selected             delete the selected images
 *   undo                        undo the last change in the Label view
 *   suggested                   select the Label view's Suggested row (fails without a finished run)
 *   print-suggestions           print what the Suggested page shows, in order: ID, predicted
 *                               category, probability
 *   select-suggestion N         select the N-th suggestion shown (from 0) alone
 *   accept-suggestion           what Return does on the Suggested page: accept the selected
 *                               suggestions
 *   accept-above P              what Accept Above… does: open its dialog with the probability P
 *                               (prints its text)
 *   dialog-response ID          click the response ID (accept, cancel, …) of the open message dialog
 *   wait-health SECONDS         wait until the Label view's data check is done (fails after SECONDS)
 *   health-details              open the data banner's Details window and print the banner and what
 *                               it lists
 *   import PATH...              what a drop of files on the grid does: import into the category
 *                               shown
 *   scroll-grid SECONDS [STOP]  scroll the Label grid to STOP (a fraction of its height, 1 = the
 *                               end) a third of a page every 16 ms, measuring the main loop like
 *                               wait-idle
 *   assert-count NAME N         fail unless category NAME has N images
 *   assert-shown TEXT...        fail unless a label on screen contains TEXT
 *   assert-not-shown TEXT...    fail if a label on screen contains TEXT
 *   assert-view NAME            fail unless the window shows view NAME
 *   recipe [KEY=VALUE...]       arch, weights (file), epochs, freeze, lr, batch, size, augment
 *                               (0/1); the Advanced section's aug (crop,flip,rotate,zoom,warp,
 *                               lighting or none, as swell-cli's --aug), min-scale, max-rotate,
 *                               max-zoom, max-warp, max-lighting, lr-mult, keep (last/best);
 *                               advanced (1: expand that section and scroll to it, 0: collapse it)
 *   assert-recipe KEY VALUE     fail unless the Train view's recipe shows VALUE for KEY (the keys
 *                               of recipe)
 *   preference TITLE VALUE      set the row TITLE of the open Preferences window to VALUE (a
 *                               number, on/off, or the text of a choice)
 *   train                       start training (as the Train button)
 *   stop                        stop training (as the Stop button)
 *   lr-find                     run the learning-rate finder
 *   download                    click the Train view's Download button (the pretrained weights of
 *                               the network chosen)
 *   cancel-download             click the Cancel button beside the download's progress
 *   wait-idle SECONDS           wait until no training/lr-find/import/export/download/TTA runs
 *                               (fails after SECONDS); meanwhile a 5 ms timeout measures the longest
 *                               gap between its dispatches
 *   assert-max-gap MS           fail unless that longest gap was at most MS
 *   cell ACTUAL PREDICTED       click a confusion matrix cell in the Results view
 *   gallery-select N            select the N-th gallery image
 *   gallery-relabel NAME        what "Label As" in the gallery's action bar does
 *   gallery-first               activate the first gallery image (opens the preview)
 *   export-model PATH           what Export Model… in the Results view does with PATH chosen in
 *                               its file chooser (wait-idle waits for the export)
 *   gallery-split valid|train|both  the Results gallery's split choice: the mistakes among those
 *                               images
 *   gallery-order loss|unsure   the Results gallery's order: top losses or most unsure
 *   gallery-move                what the gallery's Move to Train / Move to Valid button does on the
 *                               selected image
 *   gallery-delete              what the gallery's Delete button does on the selected image
 *   matrix valid|test           the Valid/Test choice over the confusion matrix (fails without test
 *                               images)
 *   tta on|off [SEED]           turn the Test-time augmentation switch of the Results view on (with
 *                               TTA's seed, default 0; wait-idle waits for the evaluation) or off
 *   print-gallery               print the Results gallery's images in order: id, name, split,
 *                               actual, predicted, probability, loss, label-may-be-wrong or -
 *   print-results               print what the Results view shows: run, title, summary, matrix,
 *                               valid_accuracy, test_accuracy, tta
 *   predict PATH...             classify images in the Predict view
 *   print-predictions           print what the Predict view's cards show
 *   heatmap on|off [CLASS]      click the Show Heatmap toggle of the open preview (else of the
 *                               Predict view's newest card), choosing CLASS in its drop-down
 *                               first; on waits until the overlay is drawn
 *   save-heatmap PATH           write the overlay that heatmap shows (at the network's input
 *                               size, as swell-cli explain writes it) as a PNG
 *   style follow|light|dark     set the Style preference (and check the window follows it)
 *   assert-style-color NAME COLOR  fail unless the style's named colour NAME (as the plots, the
 *                               confusion matrix and the tiles look it up) is COLOR
 *   sidebar 0|1                 what the Show Sidebar button does in a narrow window: show (1) or
 *                               hide (0) the view's sidebar over it (fails unless the sidebar is
 *                               folded)
 *   resize WIDTH HEIGHT         resize the window (unmaximized)
 *   assert-switcher top|bottom  fail unless the view switcher is in the header bar (top) or in
 *                               the bar at the bottom
 *   assert-fits WIDTH HEIGHT    fail unless the window is at most WIDTH x HEIGHT and no widget
 *                               shown is cut off: reaching past its sides or narrower than its
 *                               minimum (what scrolls sideways may)
 *   assert-accessible           fail naming every focusable widget shown (in the window and the
 *                               windows over it) that has no accessible name, and every plot or
 *                               confusion matrix without a description
 *   assert-description NAME TEXT...  fail unless the first widget shown with a description whose
 *                               accessible name starts with NAME has one containing TEXT
 *   key KEYSPEC...              press keys as a person does (real X events, xdotool key: ctrl+n,
 *                               Tab, Return, alt+2)
 *   type TEXT...                type TEXT as key presses (xdotool type)
 *   assert-focus DESCRIPTION...  fail unless the keyboard focus (of the active window) is on
 *                               a widget, or inside one, whose type and accessible name contain
 *                               DESCRIPTION
 *   wait-focus SECONDS DESCRIPTION...  wait until the keyboard focus is as assert-focus DESCRIPTION
 *                               wants (fails after SECONDS)
 *   shot NAME                   screenshot the X screen into $SWELL_TEST_ARTIFACTS/NAME.png
 *                               (ImageMagick's import -window root)
 *   echo [TEXT...]              print TEXT on stdout
 *   help                        print this list
 *   quit                        close the window and exit with the script's status
 *
 * Every command prints "swell-test: <command>" so a log shows the progress;
 * a failing command prints "swell-test: FAIL ..." and the app exits with 1.
 * A command with the wrong number of arguments fails as malformed. This list
 * is the driver's command table (the test ui_driver_commands compares it with
 * what `help` prints). */
#pragma once

#include "swell-application.h"

G_BEGIN_DECLS

/* Makes app run SWELL_TEST_SCRIPT (if set) in its first window, as its own
 * instance (no D-Bus uniqueness). Call before g_application_run(). */
void swell_test_driver_install (SwellApplication *app);

G_END_DECLS

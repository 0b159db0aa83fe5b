/* swell-test-driver.h: a test-only way to drive the window. When the
 * environment variable SWELL_TEST_SCRIPT names a file, the first window runs
 * its commands one per line, in order, on the main loop:
 *
 *   wait MS               let the main loop run for MS milliseconds
 *   open PATH             open a project in this window
 *   view NAME             label | train | results | predict
 *   category N            select the N-th sidebar row of the Label view
 *   select-all            select every thumbnail shown
 *   recipe KEY=VALUE...   arch, weights (file), epochs, freeze, lr, batch, size, augment (0/1)
 *   train                 start training (as the Train button)
 *   lr-find               run the learning-rate finder
 *   wait-idle SECONDS     wait until no training/lr-find runs (fails after SECONDS); meanwhile
 *                         a 5 ms timeout measures the longest gap between its dispatches
 *   assert-max-gap MS     fail unless that longest gap was at most MS
 *   cell ACTUAL PREDICTED click a confusion matrix cell in the Results view
 *   gallery-first         activate the first gallery image (opens the preview)
 *   close-dialogs         close any dialog windows
 *   predict PATH...       classify images in the Predict view
 *   assert-shown TEXT     fail unless a label on screen contains TEXT
 *   assert-not-shown TEXT fail if a label on screen contains TEXT
 *   dark 0|1              switch the dark style
 *   shot NAME             screenshot the X screen into $SWELL_TEST_ARTIFACTS/NAME.png
 *                         (ImageMagick's import -window root)
 *   echo TEXT             print TEXT on stdout
 *   quit                  close the window and exit with the script's status
 *
 * Every command prints "swell-test: <command>" so a log shows the progress;
 * a failing command prints "swell-test: FAIL ..." and the app exits with 1. */
#pragma once

#include "swell-window.h"

G_BEGIN_DECLS

void swell_test_driver_maybe_start (SwellWindow *win);

G_END_DECLS

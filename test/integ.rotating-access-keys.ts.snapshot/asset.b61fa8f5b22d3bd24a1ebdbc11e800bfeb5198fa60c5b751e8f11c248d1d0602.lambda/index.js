"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __commonJS = (cb, mod) => function __require() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// node_modules/@supercharge/promise-pool/dist/validation-error.js
var require_validation_error = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/validation-error.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    exports2.ValidationError = void 0;
    var ValidationError = class extends Error {
      /**
       * Create a new instance for the given `message`.
       */
      constructor(message) {
        super(message);
        if (Error.captureStackTrace && typeof Error.captureStackTrace === "function") {
          Error.captureStackTrace(this, this.constructor);
        }
      }
      /**
       * Returns a validation error with the given `message`.
       */
      static createFrom(message) {
        return new this(message);
      }
    };
    exports2.ValidationError = ValidationError;
  }
});

// node_modules/@supercharge/promise-pool/dist/promise-pool-error.js
var require_promise_pool_error = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/promise-pool-error.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    exports2.PromisePoolError = void 0;
    var PromisePoolError = class extends Error {
      /**
       * Create a new instance for the given `message` and `item`.
       *
       * @param error  The original error
       * @param item   The item causing the error
       */
      constructor(error, item) {
        super();
        this.raw = error;
        this.item = item;
        this.name = this.constructor.name;
        this.message = this.messageFrom(error);
        if (Error.captureStackTrace && typeof Error.captureStackTrace === "function") {
          Error.captureStackTrace(this, this.constructor);
        }
      }
      /**
       * Returns a new promise pool error instance wrapping the `error` and `item`.
       */
      static createFrom(error, item) {
        return new this(error, item);
      }
      /**
       * Returns the error message from the given `error`.
       */
      messageFrom(error) {
        if (error instanceof Error) {
          return error.message;
        }
        if (typeof error === "object") {
          return error.message;
        }
        if (typeof error === "string" || typeof error === "number") {
          return error.toString();
        }
        return "";
      }
    };
    exports2.PromisePoolError = PromisePoolError;
  }
});

// node_modules/@supercharge/promise-pool/dist/stop-the-promise-pool-error.js
var require_stop_the_promise_pool_error = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/stop-the-promise-pool-error.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    exports2.StopThePromisePoolError = void 0;
    var StopThePromisePoolError = class extends Error {
    };
    exports2.StopThePromisePoolError = StopThePromisePoolError;
  }
});

// node_modules/@supercharge/promise-pool/dist/promise-pool-executor.js
var require_promise_pool_executor = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/promise-pool-executor.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    exports2.PromisePoolExecutor = void 0;
    var promise_pool_1 = require_promise_pool();
    var validation_error_1 = require_validation_error();
    var promise_pool_error_1 = require_promise_pool_error();
    var stop_the_promise_pool_error_1 = require_stop_the_promise_pool_error();
    var PromisePoolExecutor = class {
      /**
       * Creates a new promise pool executer instance with a default concurrency of 10.
       */
      constructor() {
        this.meta = {
          tasks: [],
          items: [],
          errors: [],
          results: [],
          stopped: false,
          concurrency: 10,
          shouldResultsCorrespond: false,
          processedItems: [],
          processedItemsCounter: 0,
          taskTimeout: 0,
          shouldStoreProcessedItems: true
        };
        this.handler = (item) => item;
        this.errorHandler = void 0;
        this.onTaskStartedHandlers = [];
        this.onTaskFinishedHandlers = [];
      }
      /**
       * Set the number of tasks to process concurrently the promise pool.
       */
      useConcurrency(concurrency2) {
        if (!this.isValidConcurrency(concurrency2)) {
          throw validation_error_1.ValidationError.createFrom(`"concurrency" must be a number, 1 or up. Received "${concurrency2}" (${typeof concurrency2})`);
        }
        this.meta.concurrency = concurrency2;
        return this;
      }
      /**
       * Set whether to store the processed items in memory.
       */
      storeProcessedItems(shouldStoreProcessedItems = true) {
        this.meta.shouldStoreProcessedItems = shouldStoreProcessedItems;
        return this;
      }
      /**
       * Determine whether to store the processed items in memory.
       */
      shouldStoreProcessedItems() {
        return this.meta.shouldStoreProcessedItems;
      }
      /**
       * Determine whether the given `concurrency` value is valid.
       */
      isValidConcurrency(concurrency2) {
        return typeof concurrency2 === "number" && concurrency2 >= 1;
      }
      /**
       * Set the timeout in ms for the pool handler
       */
      withTaskTimeout(timeout) {
        this.meta.taskTimeout = timeout;
        return this;
      }
      /**
       * Returns the number of concurrently processed tasks.
       */
      concurrency() {
        return this.meta.concurrency;
      }
      /**
       * Assign whether to keep corresponding results between source items and resulting tasks.
       */
      useCorrespondingResults(shouldResultsCorrespond) {
        this.meta.shouldResultsCorrespond = shouldResultsCorrespond;
        return this;
      }
      /**
       * Determine whether to keep corresponding results between source items and resulting tasks.
       */
      shouldUseCorrespondingResults() {
        return this.meta.shouldResultsCorrespond;
      }
      /**
       * Returns the task timeout in milliseconds.
       */
      taskTimeout() {
        return this.meta.taskTimeout;
      }
      /**
       * Set the items to be processed in the promise pool.
       */
      for(items) {
        this.meta.items = items;
        return this;
      }
      /**
       * Returns the list of items to process.
       */
      items() {
        return this.meta.items;
      }
      /**
       * Returns the number of items to process, or `NaN` if items are not an array.
       */
      itemsCount() {
        const items = this.items();
        return Array.isArray(items) ? items.length : NaN;
      }
      /**
       * Returns the list of active tasks.
       */
      tasks() {
        return this.meta.tasks;
      }
      /**
       * Returns the number of currently active tasks.
       *
       * @deprecated use the `activeTasksCount()` method (plural naming) instead
       */
      activeTaskCount() {
        return this.activeTasksCount();
      }
      /**
       * Returns the number of currently active tasks.
       */
      activeTasksCount() {
        return this.tasks().length;
      }
      /**
       * Returns the list of processed items.
       */
      processedItems() {
        return this.meta.processedItems;
      }
      /**
       * Flush the processed items.
       */
      flushProcessedItems() {
        this.meta.processedItems = [];
      }
      /**
       * Increment the processed items counter.
       */
      incrementProcessedItemsCounter() {
        this.meta.processedItemsCounter += 1;
      }
      /**
       * Returns the number of processed items.
       */
      processedCount() {
        return this.meta.processedItemsCounter;
      }
      /**
       * Returns the percentage progress of items that have been processed, or `NaN` if items is not an array.
       */
      processedPercentage() {
        return this.processedCount() / this.itemsCount() * 100;
      }
      /**
       * Returns the list of results.
       */
      results() {
        return this.meta.results;
      }
      /**
       * Returns the list of errors.
       */
      errors() {
        return this.meta.errors;
      }
      /**
       * Set the handler that is applied to each item.
       */
      withHandler(action) {
        this.handler = action;
        return this;
      }
      /**
       * Determine whether a custom error handle is available.
       */
      hasErrorHandler() {
        return !!this.errorHandler;
      }
      /**
       * Set the error handler function to execute when an error occurs.
       */
      handleError(handler2) {
        this.errorHandler = handler2;
        return this;
      }
      /**
       * Set the handler function to execute when started a task.
       */
      onTaskStarted(handlers) {
        this.onTaskStartedHandlers = handlers;
        return this;
      }
      /**
        * Assign the given callback `handler` function to run when a task finished.
       */
      onTaskFinished(handlers) {
        this.onTaskFinishedHandlers = handlers;
        return this;
      }
      /**
       * Determines whether the number of active tasks is greater or equal to the concurrency limit.
       */
      hasReachedConcurrencyLimit() {
        return this.activeTasksCount() >= this.concurrency();
      }
      /**
       * Stop a promise pool processing.
       */
      stop() {
        this.markAsStopped();
        throw new stop_the_promise_pool_error_1.StopThePromisePoolError();
      }
      /**
       * Mark the promise pool as stopped.
       */
      markAsStopped() {
        this.meta.stopped = true;
        return this;
      }
      /**
       * Determine whether the pool is stopped.
       */
      isStopped() {
        return this.meta.stopped;
      }
      /**
       * Start processing the promise pool.
       */
      async start() {
        return await this.validateInputs().prepareResultsArray().process();
      }
      /**
       * Ensure that the given input values are valid or throw an error otherwise.
       */
      validateInputs() {
        if (typeof this.handler !== "function") {
          throw validation_error_1.ValidationError.createFrom("The first parameter for the .process(fn) method must be a function");
        }
        const timeout = this.taskTimeout();
        if (!(timeout == null || typeof timeout === "number" && timeout >= 0)) {
          throw validation_error_1.ValidationError.createFrom(`"timeout" must be undefined or a number. A number must be 0 or up. Received "${String(timeout)}" (${typeof timeout})`);
        }
        if (!this.areItemsValid()) {
          throw validation_error_1.ValidationError.createFrom(`"items" must be an array, an iterable or an async iterable. Received "${typeof this.items()}"`);
        }
        if (this.errorHandler && typeof this.errorHandler !== "function") {
          throw validation_error_1.ValidationError.createFrom(`The error handler must be a function. Received "${typeof this.errorHandler}"`);
        }
        this.onTaskStartedHandlers.forEach((handler2) => {
          if (handler2 && typeof handler2 !== "function") {
            throw validation_error_1.ValidationError.createFrom(`The onTaskStarted handler must be a function. Received "${typeof handler2}"`);
          }
        });
        this.onTaskFinishedHandlers.forEach((handler2) => {
          if (handler2 && typeof handler2 !== "function") {
            throw validation_error_1.ValidationError.createFrom(`The error handler must be a function. Received "${typeof handler2}"`);
          }
        });
        return this;
      }
      /**
       * Determine whether the provided items are processable by the pool. We’re
       * handling arrays and (async) iterables. Everything else is not valid.
       */
      areItemsValid() {
        const items = this.items();
        return Array.isArray(items) || typeof items[Symbol.iterator] === "function" || typeof items[Symbol.asyncIterator] === "function";
      }
      /**
       * Prefill the results array with `notRun` symbol values if results should correspond.
       */
      prepareResultsArray() {
        const items = this.items();
        if (Array.isArray(items) && this.shouldUseCorrespondingResults()) {
          this.meta.results = Array(items.length).fill(promise_pool_1.PromisePool.notRun);
        }
        return this;
      }
      /**
       * Starts processing the promise pool by iterating over the items
       * and running each item through the async `callback` function.
       */
      async process() {
        let index = 0;
        for await (const item of this.items()) {
          if (this.isStopped()) {
            break;
          }
          if (this.shouldUseCorrespondingResults()) {
            this.results()[index] = promise_pool_1.PromisePool.notRun;
          }
          this.startProcessing(item, index);
          index += 1;
          await this.waitForProcessingSlot();
        }
        return await this.drained();
      }
      /**
       * Wait for one of the active tasks to finish processing.
       */
      async waitForProcessingSlot() {
        while (this.hasReachedConcurrencyLimit()) {
          await this.waitForActiveTaskToFinish();
        }
      }
      /**
       * Wait for the next, currently active task to finish processing.
       */
      async waitForActiveTaskToFinish() {
        await Promise.race(this.tasks());
      }
      /**
       * Create a processing function for the given `item`.
       */
      startProcessing(item, index) {
        const task = this.createTaskFor(item, index).then((result) => {
          this.save(result, index).removeActive(task);
        }).catch(async (error) => {
          await this.handleErrorFor(error, item, index);
          this.removeActive(task);
        }).finally(() => {
          if (this.shouldStoreProcessedItems()) {
            this.processedItems().push(item);
          }
          this.incrementProcessedItemsCounter();
          this.runOnTaskFinishedHandlers(item);
        });
        this.tasks().push(task);
        this.runOnTaskStartedHandlers(item);
      }
      /**
       * Ensures a returned promise for the processing of the given `item`.
       */
      async createTaskFor(item, index) {
        if (this.taskTimeout() === void 0) {
          return this.handler(item, index, this);
        }
        const [timer, canceller] = this.createTaskTimeout(item);
        return Promise.race([
          this.handler(item, index, this),
          timer()
        ]).finally(canceller);
      }
      /**
       * Returns a tuple of a timer function and a canceller function that
       * times-out after the configured task timeout.
       */
      createTaskTimeout(item) {
        let timerId;
        const timer = async () => new Promise((_resolve, reject) => {
          timerId = setTimeout(() => {
            reject(new promise_pool_error_1.PromisePoolError(`Task in promise pool timed out after ${this.taskTimeout()}ms`, item));
          }, this.taskTimeout());
        });
        const canceller = () => clearTimeout(timerId);
        return [timer, canceller];
      }
      /**
       * Save the given calculation `result`, possibly at the provided `position`.
       */
      save(result, position) {
        this.shouldUseCorrespondingResults() ? this.results()[position] = result : this.results().push(result);
        return this;
      }
      /**
       * Remove the given `task` from the list of active tasks.
       */
      removeActive(task) {
        this.tasks().splice(this.tasks().indexOf(task), 1);
        return this;
      }
      /**
       * Create and save an error for the the given `item`.
       */
      async handleErrorFor(error, item, index) {
        if (this.shouldUseCorrespondingResults()) {
          this.results()[index] = promise_pool_1.PromisePool.failed;
        }
        if (this.isStoppingThePoolError(error)) {
          return;
        }
        if (this.isValidationError(error)) {
          this.markAsStopped();
          throw error;
        }
        this.hasErrorHandler() ? await this.runErrorHandlerFor(error, item) : this.saveErrorFor(error, item);
      }
      /**
       * Determine whether the given `error` is a `StopThePromisePoolError` instance.
       */
      isStoppingThePoolError(error) {
        return error instanceof stop_the_promise_pool_error_1.StopThePromisePoolError;
      }
      /**
       * Determine whether the given `error` is a `ValidationError` instance.
       */
      isValidationError(error) {
        return error instanceof validation_error_1.ValidationError;
      }
      /**
       * Run the user’s error handler, if available.
       */
      async runErrorHandlerFor(processingError, item) {
        try {
          await this.errorHandler?.(processingError, item, this);
        } catch (error) {
          this.rethrowIfNotStoppingThePool(error);
        }
      }
      /**
       * Run the onTaskStarted handlers.
       */
      runOnTaskStartedHandlers(item) {
        this.onTaskStartedHandlers.forEach((handler2) => {
          handler2(item, this);
        });
      }
      /**
       * Run the onTaskFinished handlers.
       */
      runOnTaskFinishedHandlers(item) {
        this.onTaskFinishedHandlers.forEach((handler2) => {
          handler2(item, this);
        });
      }
      /**
       * Rethrow the given `error` if it’s not an instance of `StopThePromisePoolError`.
       */
      rethrowIfNotStoppingThePool(error) {
        if (this.isStoppingThePoolError(error)) {
          return;
        }
        throw error;
      }
      /**
       * Create and save an error for the the given `item`.
       */
      saveErrorFor(error, item) {
        this.errors().push(promise_pool_error_1.PromisePoolError.createFrom(error, item));
      }
      /**
       * Wait for all active tasks to finish. Once all the tasks finished
       * processing, returns an object containing the results and errors.
       */
      async drained() {
        await this.drainActiveTasks();
        return {
          errors: this.errors(),
          results: this.results()
        };
      }
      /**
       * Wait for all of the active tasks to finish processing.
       */
      async drainActiveTasks() {
        await Promise.all(this.tasks());
      }
    };
    exports2.PromisePoolExecutor = PromisePoolExecutor;
  }
});

// node_modules/@supercharge/promise-pool/dist/promise-pool.js
var require_promise_pool = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/promise-pool.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    exports2.PromisePool = void 0;
    var promise_pool_executor_1 = require_promise_pool_executor();
    var PromisePool2 = class _PromisePool {
      /**
       * Instantiates a new promise pool with a default `concurrency: 10` and `items: []`.
       */
      constructor(items) {
        this.shouldStoreProcessedItems = true;
        this.timeout = void 0;
        this.concurrency = 10;
        this.items = items ?? [];
        this.errorHandler = void 0;
        this.onTaskStartedHandlers = [];
        this.onTaskFinishedHandlers = [];
        this.shouldResultsCorrespond = false;
      }
      /**
       * Set the number of tasks to process concurrently in the promise pool.
       */
      withConcurrency(concurrency2) {
        this.concurrency = concurrency2;
        return this;
      }
      /**
       * Set the number of tasks to process concurrently in the promise pool.
       */
      static withConcurrency(concurrency2) {
        return new this().withConcurrency(concurrency2);
      }
      /**
       * Set the timeout in milliseconds for the pool handler.
       */
      withTaskTimeout(timeout) {
        this.timeout = timeout;
        return this;
      }
      /**
       * Set the timeout in milliseconds for the pool handler.
       */
      static withTaskTimeout(timeout) {
        return new this().withTaskTimeout(timeout);
      }
      /**
       * Set the items to be processed in the promise pool.
       */
      for(items) {
        const pool = new _PromisePool(items).withConcurrency(this.concurrency);
        if (typeof this.errorHandler === "function") {
          pool.handleError(this.errorHandler);
        }
        return typeof this.timeout === "number" ? pool.withTaskTimeout(this.timeout) : pool;
      }
      /**
       * Set the items to be processed in the promise pool.
       */
      static for(items) {
        return new this().for(items);
      }
      /**
       * Set the error handler function to execute when an error occurs.
       */
      handleError(handler2) {
        this.errorHandler = handler2;
        return this;
      }
      /**
       * Assign the given callback `handler` function to run when a task starts.
       */
      onTaskStarted(handler2) {
        this.onTaskStartedHandlers.push(handler2);
        return this;
      }
      /**
       * Prevent PromisePool from storing the processed items in memory.
       */
      dontStoreProcessedItems() {
        this.shouldStoreProcessedItems = false;
        return this;
      }
      /**
       * Assign the given callback `handler` function to run when a task finished.
       */
      onTaskFinished(handler2) {
        this.onTaskFinishedHandlers.push(handler2);
        return this;
      }
      /**
       * Assign whether to keep corresponding results between source items and resulting tasks.
       */
      useCorrespondingResults() {
        this.shouldResultsCorrespond = true;
        return this;
      }
      /**
       * Starts processing the promise pool by iterating over the items
       * and running each item through the async `callback` function.
       */
      async process(callback) {
        return new promise_pool_executor_1.PromisePoolExecutor().useConcurrency(this.concurrency).useCorrespondingResults(this.shouldResultsCorrespond).storeProcessedItems(this.shouldStoreProcessedItems).withTaskTimeout(this.timeout).withHandler(callback).handleError(this.errorHandler).onTaskStarted(this.onTaskStartedHandlers).onTaskFinished(this.onTaskFinishedHandlers).for(this.items).start();
      }
    };
    exports2.PromisePool = PromisePool2;
    PromisePool2.notRun = /* @__PURE__ */ Symbol("notRun");
    PromisePool2.failed = /* @__PURE__ */ Symbol("failed");
  }
});

// node_modules/@supercharge/promise-pool/dist/contracts.js
var require_contracts = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/contracts.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
  }
});

// node_modules/@supercharge/promise-pool/dist/return-value.js
var require_return_value = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/return-value.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
  }
});

// node_modules/@supercharge/promise-pool/dist/index.js
var require_dist = __commonJS({
  "node_modules/@supercharge/promise-pool/dist/index.js"(exports2) {
    "use strict";
    var __createBinding = exports2 && exports2.__createBinding || (Object.create ? (function(o, m, k, k2) {
      if (k2 === void 0) k2 = k;
      var desc = Object.getOwnPropertyDescriptor(m, k);
      if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
        desc = { enumerable: true, get: function() {
          return m[k];
        } };
      }
      Object.defineProperty(o, k2, desc);
    }) : (function(o, m, k, k2) {
      if (k2 === void 0) k2 = k;
      o[k2] = m[k];
    }));
    var __exportStar = exports2 && exports2.__exportStar || function(m, exports3) {
      for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports3, p)) __createBinding(exports3, m, p);
    };
    Object.defineProperty(exports2, "__esModule", { value: true });
    var promise_pool_1 = require_promise_pool();
    exports2.default = promise_pool_1.PromisePool;
    __exportStar(require_contracts(), exports2);
    __exportStar(require_promise_pool(), exports2);
    __exportStar(require_promise_pool_error(), exports2);
    __exportStar(require_return_value(), exports2);
    __exportStar(require_stop_the_promise_pool_error(), exports2);
    __exportStar(require_validation_error(), exports2);
  }
});

// node_modules/exponential-backoff/dist/options.js
var require_options = __commonJS({
  "node_modules/exponential-backoff/dist/options.js"(exports2) {
    "use strict";
    var __assign = exports2 && exports2.__assign || function() {
      __assign = Object.assign || function(t) {
        for (var s, i = 1, n = arguments.length; i < n; i++) {
          s = arguments[i];
          for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p))
            t[p] = s[p];
        }
        return t;
      };
      return __assign.apply(this, arguments);
    };
    Object.defineProperty(exports2, "__esModule", { value: true });
    var defaultOptions = {
      delayFirstAttempt: false,
      jitter: "none",
      maxDelay: Infinity,
      numOfAttempts: 10,
      retry: function() {
        return true;
      },
      startingDelay: 100,
      timeMultiple: 2
    };
    function getSanitizedOptions(options) {
      var sanitized = __assign(__assign({}, defaultOptions), options);
      if (sanitized.numOfAttempts < 1) {
        sanitized.numOfAttempts = 1;
      }
      return sanitized;
    }
    exports2.getSanitizedOptions = getSanitizedOptions;
  }
});

// node_modules/exponential-backoff/dist/jitter/full/full.jitter.js
var require_full_jitter = __commonJS({
  "node_modules/exponential-backoff/dist/jitter/full/full.jitter.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    function fullJitter(delay) {
      var jitteredDelay = Math.random() * delay;
      return Math.round(jitteredDelay);
    }
    exports2.fullJitter = fullJitter;
  }
});

// node_modules/exponential-backoff/dist/jitter/no/no.jitter.js
var require_no_jitter = __commonJS({
  "node_modules/exponential-backoff/dist/jitter/no/no.jitter.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    function noJitter(delay) {
      return delay;
    }
    exports2.noJitter = noJitter;
  }
});

// node_modules/exponential-backoff/dist/jitter/jitter.factory.js
var require_jitter_factory = __commonJS({
  "node_modules/exponential-backoff/dist/jitter/jitter.factory.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    var full_jitter_1 = require_full_jitter();
    var no_jitter_1 = require_no_jitter();
    function JitterFactory(options) {
      switch (options.jitter) {
        case "full":
          return full_jitter_1.fullJitter;
        case "none":
        default:
          return no_jitter_1.noJitter;
      }
    }
    exports2.JitterFactory = JitterFactory;
  }
});

// node_modules/exponential-backoff/dist/delay/delay.base.js
var require_delay_base = __commonJS({
  "node_modules/exponential-backoff/dist/delay/delay.base.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    var jitter_factory_1 = require_jitter_factory();
    var Delay = (
      /** @class */
      (function() {
        function Delay2(options) {
          this.options = options;
          this.attempt = 0;
        }
        Delay2.prototype.apply = function() {
          var _this = this;
          return new Promise(function(resolve) {
            return setTimeout(resolve, _this.jitteredDelay);
          });
        };
        Delay2.prototype.setAttemptNumber = function(attempt) {
          this.attempt = attempt;
        };
        Object.defineProperty(Delay2.prototype, "jitteredDelay", {
          get: function() {
            var jitter = jitter_factory_1.JitterFactory(this.options);
            return jitter(this.delay);
          },
          enumerable: true,
          configurable: true
        });
        Object.defineProperty(Delay2.prototype, "delay", {
          get: function() {
            var constant = this.options.startingDelay;
            var base = this.options.timeMultiple;
            var power = this.numOfDelayedAttempts;
            var delay = constant * Math.pow(base, power);
            return Math.min(delay, this.options.maxDelay);
          },
          enumerable: true,
          configurable: true
        });
        Object.defineProperty(Delay2.prototype, "numOfDelayedAttempts", {
          get: function() {
            return this.attempt;
          },
          enumerable: true,
          configurable: true
        });
        return Delay2;
      })()
    );
    exports2.Delay = Delay;
  }
});

// node_modules/exponential-backoff/dist/delay/skip-first/skip-first.delay.js
var require_skip_first_delay = __commonJS({
  "node_modules/exponential-backoff/dist/delay/skip-first/skip-first.delay.js"(exports2) {
    "use strict";
    var __extends = exports2 && exports2.__extends || /* @__PURE__ */ (function() {
      var extendStatics = function(d, b) {
        extendStatics = Object.setPrototypeOf || { __proto__: [] } instanceof Array && function(d2, b2) {
          d2.__proto__ = b2;
        } || function(d2, b2) {
          for (var p in b2) if (b2.hasOwnProperty(p)) d2[p] = b2[p];
        };
        return extendStatics(d, b);
      };
      return function(d, b) {
        extendStatics(d, b);
        function __() {
          this.constructor = d;
        }
        d.prototype = b === null ? Object.create(b) : (__.prototype = b.prototype, new __());
      };
    })();
    var __awaiter = exports2 && exports2.__awaiter || function(thisArg, _arguments, P, generator) {
      function adopt(value) {
        return value instanceof P ? value : new P(function(resolve) {
          resolve(value);
        });
      }
      return new (P || (P = Promise))(function(resolve, reject) {
        function fulfilled(value) {
          try {
            step(generator.next(value));
          } catch (e) {
            reject(e);
          }
        }
        function rejected(value) {
          try {
            step(generator["throw"](value));
          } catch (e) {
            reject(e);
          }
        }
        function step(result) {
          result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
        }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
      });
    };
    var __generator = exports2 && exports2.__generator || function(thisArg, body) {
      var _ = { label: 0, sent: function() {
        if (t[0] & 1) throw t[1];
        return t[1];
      }, trys: [], ops: [] }, f, y, t, g;
      return g = { next: verb(0), "throw": verb(1), "return": verb(2) }, typeof Symbol === "function" && (g[Symbol.iterator] = function() {
        return this;
      }), g;
      function verb(n) {
        return function(v) {
          return step([n, v]);
        };
      }
      function step(op) {
        if (f) throw new TypeError("Generator is already executing.");
        while (_) try {
          if (f = 1, y && (t = op[0] & 2 ? y["return"] : op[0] ? y["throw"] || ((t = y["return"]) && t.call(y), 0) : y.next) && !(t = t.call(y, op[1])).done) return t;
          if (y = 0, t) op = [op[0] & 2, t.value];
          switch (op[0]) {
            case 0:
            case 1:
              t = op;
              break;
            case 4:
              _.label++;
              return { value: op[1], done: false };
            case 5:
              _.label++;
              y = op[1];
              op = [0];
              continue;
            case 7:
              op = _.ops.pop();
              _.trys.pop();
              continue;
            default:
              if (!(t = _.trys, t = t.length > 0 && t[t.length - 1]) && (op[0] === 6 || op[0] === 2)) {
                _ = 0;
                continue;
              }
              if (op[0] === 3 && (!t || op[1] > t[0] && op[1] < t[3])) {
                _.label = op[1];
                break;
              }
              if (op[0] === 6 && _.label < t[1]) {
                _.label = t[1];
                t = op;
                break;
              }
              if (t && _.label < t[2]) {
                _.label = t[2];
                _.ops.push(op);
                break;
              }
              if (t[2]) _.ops.pop();
              _.trys.pop();
              continue;
          }
          op = body.call(thisArg, _);
        } catch (e) {
          op = [6, e];
          y = 0;
        } finally {
          f = t = 0;
        }
        if (op[0] & 5) throw op[1];
        return { value: op[0] ? op[1] : void 0, done: true };
      }
    };
    Object.defineProperty(exports2, "__esModule", { value: true });
    var delay_base_1 = require_delay_base();
    var SkipFirstDelay = (
      /** @class */
      (function(_super) {
        __extends(SkipFirstDelay2, _super);
        function SkipFirstDelay2() {
          return _super !== null && _super.apply(this, arguments) || this;
        }
        SkipFirstDelay2.prototype.apply = function() {
          return __awaiter(this, void 0, void 0, function() {
            return __generator(this, function(_a) {
              return [2, this.isFirstAttempt ? true : _super.prototype.apply.call(this)];
            });
          });
        };
        Object.defineProperty(SkipFirstDelay2.prototype, "isFirstAttempt", {
          get: function() {
            return this.attempt === 0;
          },
          enumerable: true,
          configurable: true
        });
        Object.defineProperty(SkipFirstDelay2.prototype, "numOfDelayedAttempts", {
          get: function() {
            return this.attempt - 1;
          },
          enumerable: true,
          configurable: true
        });
        return SkipFirstDelay2;
      })(delay_base_1.Delay)
    );
    exports2.SkipFirstDelay = SkipFirstDelay;
  }
});

// node_modules/exponential-backoff/dist/delay/always/always.delay.js
var require_always_delay = __commonJS({
  "node_modules/exponential-backoff/dist/delay/always/always.delay.js"(exports2) {
    "use strict";
    var __extends = exports2 && exports2.__extends || /* @__PURE__ */ (function() {
      var extendStatics = function(d, b) {
        extendStatics = Object.setPrototypeOf || { __proto__: [] } instanceof Array && function(d2, b2) {
          d2.__proto__ = b2;
        } || function(d2, b2) {
          for (var p in b2) if (b2.hasOwnProperty(p)) d2[p] = b2[p];
        };
        return extendStatics(d, b);
      };
      return function(d, b) {
        extendStatics(d, b);
        function __() {
          this.constructor = d;
        }
        d.prototype = b === null ? Object.create(b) : (__.prototype = b.prototype, new __());
      };
    })();
    Object.defineProperty(exports2, "__esModule", { value: true });
    var delay_base_1 = require_delay_base();
    var AlwaysDelay = (
      /** @class */
      (function(_super) {
        __extends(AlwaysDelay2, _super);
        function AlwaysDelay2() {
          return _super !== null && _super.apply(this, arguments) || this;
        }
        return AlwaysDelay2;
      })(delay_base_1.Delay)
    );
    exports2.AlwaysDelay = AlwaysDelay;
  }
});

// node_modules/exponential-backoff/dist/delay/delay.factory.js
var require_delay_factory = __commonJS({
  "node_modules/exponential-backoff/dist/delay/delay.factory.js"(exports2) {
    "use strict";
    Object.defineProperty(exports2, "__esModule", { value: true });
    var skip_first_delay_1 = require_skip_first_delay();
    var always_delay_1 = require_always_delay();
    function DelayFactory(options, attempt) {
      var delay = initDelayClass(options);
      delay.setAttemptNumber(attempt);
      return delay;
    }
    exports2.DelayFactory = DelayFactory;
    function initDelayClass(options) {
      if (!options.delayFirstAttempt) {
        return new skip_first_delay_1.SkipFirstDelay(options);
      }
      return new always_delay_1.AlwaysDelay(options);
    }
  }
});

// node_modules/exponential-backoff/dist/backoff.js
var require_backoff = __commonJS({
  "node_modules/exponential-backoff/dist/backoff.js"(exports2) {
    "use strict";
    var __awaiter = exports2 && exports2.__awaiter || function(thisArg, _arguments, P, generator) {
      function adopt(value) {
        return value instanceof P ? value : new P(function(resolve) {
          resolve(value);
        });
      }
      return new (P || (P = Promise))(function(resolve, reject) {
        function fulfilled(value) {
          try {
            step(generator.next(value));
          } catch (e) {
            reject(e);
          }
        }
        function rejected(value) {
          try {
            step(generator["throw"](value));
          } catch (e) {
            reject(e);
          }
        }
        function step(result) {
          result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
        }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
      });
    };
    var __generator = exports2 && exports2.__generator || function(thisArg, body) {
      var _ = { label: 0, sent: function() {
        if (t[0] & 1) throw t[1];
        return t[1];
      }, trys: [], ops: [] }, f, y, t, g;
      return g = { next: verb(0), "throw": verb(1), "return": verb(2) }, typeof Symbol === "function" && (g[Symbol.iterator] = function() {
        return this;
      }), g;
      function verb(n) {
        return function(v) {
          return step([n, v]);
        };
      }
      function step(op) {
        if (f) throw new TypeError("Generator is already executing.");
        while (_) try {
          if (f = 1, y && (t = op[0] & 2 ? y["return"] : op[0] ? y["throw"] || ((t = y["return"]) && t.call(y), 0) : y.next) && !(t = t.call(y, op[1])).done) return t;
          if (y = 0, t) op = [op[0] & 2, t.value];
          switch (op[0]) {
            case 0:
            case 1:
              t = op;
              break;
            case 4:
              _.label++;
              return { value: op[1], done: false };
            case 5:
              _.label++;
              y = op[1];
              op = [0];
              continue;
            case 7:
              op = _.ops.pop();
              _.trys.pop();
              continue;
            default:
              if (!(t = _.trys, t = t.length > 0 && t[t.length - 1]) && (op[0] === 6 || op[0] === 2)) {
                _ = 0;
                continue;
              }
              if (op[0] === 3 && (!t || op[1] > t[0] && op[1] < t[3])) {
                _.label = op[1];
                break;
              }
              if (op[0] === 6 && _.label < t[1]) {
                _.label = t[1];
                t = op;
                break;
              }
              if (t && _.label < t[2]) {
                _.label = t[2];
                _.ops.push(op);
                break;
              }
              if (t[2]) _.ops.pop();
              _.trys.pop();
              continue;
          }
          op = body.call(thisArg, _);
        } catch (e) {
          op = [6, e];
          y = 0;
        } finally {
          f = t = 0;
        }
        if (op[0] & 5) throw op[1];
        return { value: op[0] ? op[1] : void 0, done: true };
      }
    };
    Object.defineProperty(exports2, "__esModule", { value: true });
    var options_1 = require_options();
    var delay_factory_1 = require_delay_factory();
    function backOff2(request, options) {
      if (options === void 0) {
        options = {};
      }
      return __awaiter(this, void 0, void 0, function() {
        var sanitizedOptions, backOff3;
        return __generator(this, function(_a) {
          switch (_a.label) {
            case 0:
              sanitizedOptions = options_1.getSanitizedOptions(options);
              backOff3 = new BackOff(request, sanitizedOptions);
              return [4, backOff3.execute()];
            case 1:
              return [2, _a.sent()];
          }
        });
      });
    }
    exports2.backOff = backOff2;
    var BackOff = (
      /** @class */
      (function() {
        function BackOff2(request, options) {
          this.request = request;
          this.options = options;
          this.attemptNumber = 0;
        }
        BackOff2.prototype.execute = function() {
          return __awaiter(this, void 0, void 0, function() {
            var e_1, shouldRetry;
            return __generator(this, function(_a) {
              switch (_a.label) {
                case 0:
                  if (!!this.attemptLimitReached) return [3, 7];
                  _a.label = 1;
                case 1:
                  _a.trys.push([1, 4, , 6]);
                  return [4, this.applyDelay()];
                case 2:
                  _a.sent();
                  return [4, this.request()];
                case 3:
                  return [2, _a.sent()];
                case 4:
                  e_1 = _a.sent();
                  this.attemptNumber++;
                  return [4, this.options.retry(e_1, this.attemptNumber)];
                case 5:
                  shouldRetry = _a.sent();
                  if (!shouldRetry || this.attemptLimitReached) {
                    throw e_1;
                  }
                  return [3, 6];
                case 6:
                  return [3, 0];
                case 7:
                  throw new Error("Something went wrong.");
              }
            });
          });
        };
        Object.defineProperty(BackOff2.prototype, "attemptLimitReached", {
          get: function() {
            return this.attemptNumber >= this.options.numOfAttempts;
          },
          enumerable: true,
          configurable: true
        });
        BackOff2.prototype.applyDelay = function() {
          return __awaiter(this, void 0, void 0, function() {
            var delay;
            return __generator(this, function(_a) {
              switch (_a.label) {
                case 0:
                  delay = delay_factory_1.DelayFactory(this.options, this.attemptNumber);
                  return [4, delay.apply()];
                case 1:
                  _a.sent();
                  return [
                    2
                    /*return*/
                  ];
              }
            });
          });
        };
        return BackOff2;
      })()
    );
  }
});

// src/rotation/rotation.lambda.ts
var rotation_lambda_exports = {};
__export(rotation_lambda_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(rotation_lambda_exports);

// src/rotation/aws.ts
var import_client_cloudformation = require("@aws-sdk/client-cloudformation");
var import_client_cloudwatch = require("@aws-sdk/client-cloudwatch");
var import_client_eventbridge = require("@aws-sdk/client-eventbridge");
var import_client_iam = require("@aws-sdk/client-iam");
var import_client_secrets_manager = require("@aws-sdk/client-secrets-manager");
var import_client_sts = require("@aws-sdk/client-sts");

// src/foreign-key-policy.ts
var ForeignKeyPolicy = /* @__PURE__ */ ((ForeignKeyPolicy2) => {
  ForeignKeyPolicy2["FAIL"] = "FAIL";
  ForeignKeyPolicy2["DELETE_INACTIVE"] = "DELETE_INACTIVE";
  ForeignKeyPolicy2["ADOPT"] = "ADOPT";
  return ForeignKeyPolicy2;
})(ForeignKeyPolicy || {});

// src/rotation/contract.ts
var LIBRARY = "cdk-rotating-access-keys";
var EVENT_SOURCE = LIBRARY;
var EventType = {
  CREATED: "Access Key Created",
  PROMOTED: "Access Key Promoted",
  DEACTIVATED: "Access Key Deactivated",
  DELETED: "Access Key Deleted",
  REVOKED: "Access Key Revoked",
  STILL_IN_USE: "Access Key Still In Use",
  HELD: "Access Key Held",
  ROTATION_FAILED: "Access Key Rotation Failed",
  LIFECYCLE_FAILED: "Access Key Lifecycle Failed",
  REFUSED: "Access Key Request Refused"
};
var REGISTRY_METADATA_KEY = `${LIBRARY}:registry`;
var REGISTRY_VERSION = 1;
var Env = {
  /** The stack's id (`AWS::StackId`): the only stack whose registry and events the function trusts. */
  STACK_ID: "ROTATOR_STACK_ID",
  /** Logical id of the function's own resource, which carries the registry in its Metadata. */
  REGISTRY_RESOURCE: "ROTATOR_REGISTRY_RESOURCE",
  /** Digest of the registry deployed with this configuration of the function. */
  REGISTRY_DIGEST: "ROTATOR_REGISTRY_DIGEST",
  EVENT_BUS_NAME: "EVENT_BUS_NAME",
  LIFECYCLE_CONCURRENCY: "LIFECYCLE_CONCURRENCY"
};
var Removal = { DESTROY: "DESTROY", RETAIN: "RETAIN" };
var HOUR = 3600;
var DAY = 24 * HOUR;
var Limits = {
  deactivateAfterSeconds: { min: HOUR, max: 1e3 * DAY, text: "from 1 hour to 1000 days" },
  deleteAfterSeconds: { min: HOUR, max: 1e3 * DAY, text: "from 1 hour to 1000 days" },
  postponeWhileInUseSeconds: { min: 0, max: 90 * DAY, text: "at most 90 days" },
  windowHours: { min: 1, max: 24, text: "1 to 24 whole hours" },
  noticeBeforeSeconds: { min: HOUR, max: 1e3 * DAY, text: "from 1 hour to 1000 days, and at most deactivateAfter" },
  lifecycleConcurrency: { min: 1, max: 20, text: "a whole number from 1 to 20" }
};
var Defaults = {
  deactivateAfterSeconds: 7 * DAY,
  deleteAfterSeconds: 14 * DAY,
  postponeWhileInUseSeconds: 0,
  foreignKeyPolicy: "FAIL" /* FAIL */,
  removal: Removal.RETAIN,
  scheduleExpression: "rate(30 days)",
  rotateOnDeploy: true,
  lifecycleConcurrency: 4
};
var RegistryError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "RegistryError";
  }
};
var SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
var USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user(\/[\x21-\x29\x2b-\x3e\x40-\x7e]*)?\/[\w+=,.@-]{1,64}$/;
var SCHEDULE = /^(rate\(\d+ (hour|hours|day|days)\)|cron\([^()]+\))$/;
var OWNER = /^[\x20-\x7e]{1,256}$/;
function userArnProblem(userArn) {
  if (/[*?]/.test(userArn)) return "a wildcard would give the function every matching user's keys";
  if (!USER_ARN.test(userArn)) return "it is not the ARN of one IAM user (arn:<partition>:iam::<account>:user/[path/]name)";
  return void 0;
}
function userNameOf(userArn) {
  return userArn.slice(userArn.lastIndexOf("/") + 1);
}
function accountOf(arn) {
  return arn.split(":")[4] ?? "";
}
function parseRegistry(metadata) {
  const root = asObject(metadata, "the function's Metadata");
  const doc = asObject(root[REGISTRY_METADATA_KEY], `Metadata key ${REGISTRY_METADATA_KEY}`);
  if (doc.version !== REGISTRY_VERSION) {
    throw new RegistryError(`registry version must be ${REGISTRY_VERSION}, got ${show(doc.version)}`);
  }
  if (typeof doc.digest !== "string" || !/^[0-9a-f]{64}$/.test(doc.digest)) {
    throw new RegistryError(`registry digest must be 64 hex characters, got ${show(doc.digest)}`);
  }
  if (!Array.isArray(doc.registrations)) {
    throw new RegistryError(`registry registrations must be a list, got ${show(doc.registrations)}`);
  }
  const registrations = doc.registrations.map((entry, i) => parseRegistration(entry, `registrations[${i}]`));
  const secrets = /* @__PURE__ */ new Set();
  const users = /* @__PURE__ */ new Set();
  registrations.forEach((r, i) => {
    if (secrets.has(r.secretArn)) throw new RegistryError(`registrations[${i}].secretArn is registered twice: ${r.secretArn}`);
    const user = `${accountOf(r.userArn)}:${userNameOf(r.userArn)}`;
    if (users.has(user)) throw new RegistryError(`registrations[${i}].userArn is registered twice: ${r.userArn}`);
    secrets.add(r.secretArn);
    users.add(user);
  });
  return { version: REGISTRY_VERSION, digest: doc.digest, registrations };
}
function parseRegistration(raw, where) {
  const e = asObject(raw, where);
  const str = (field, pattern, what) => {
    const v = e[field];
    if (typeof v !== "string" || !pattern.test(v)) throw new RegistryError(`${where}.${field} must be ${what}, got ${show(v)}`);
    return v;
  };
  const seconds = (field) => {
    const v = e[field];
    const { min: min2, max: max2, text } = Limits[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min2 || v > max2) {
      throw new RegistryError(`${where}.${field} must be ${text}${field === "windowHours" ? "" : " in seconds"}, got ${show(v)}`);
    }
    return v;
  };
  const userArn = e.userArn;
  const problem = typeof userArn === "string" ? userArnProblem(userArn) : "it is not a string";
  if (problem) throw new RegistryError(`${where}.userArn is refused: ${problem}; got ${show(userArn)}`);
  const policy = e.foreignKeyPolicy;
  if (!Object.values(ForeignKeyPolicy).includes(policy)) {
    throw new RegistryError(`${where}.foreignKeyPolicy must be one of ${Object.values(ForeignKeyPolicy).join(", ")}, got ${show(policy)}`);
  }
  const removal = e.removal;
  if (removal !== Removal.DESTROY && removal !== Removal.RETAIN) {
    throw new RegistryError(`${where}.removal must be DESTROY or RETAIN, got ${show(removal)}`);
  }
  if (typeof e.rotateOnDeploy !== "boolean") throw new RegistryError(`${where}.rotateOnDeploy must be true or false, got ${show(e.rotateOnDeploy)}`);
  const owner = e.owner;
  if (owner !== void 0 && (typeof owner !== "string" || !OWNER.test(owner))) {
    throw new RegistryError(`${where}.owner must be 1 to 256 printable characters, got ${show(owner)}`);
  }
  const notice = e.noticeBeforeSeconds === void 0 ? void 0 : seconds("noticeBeforeSeconds");
  if (notice !== void 0 && typeof e.deactivateAfterSeconds === "number" && notice > e.deactivateAfterSeconds) {
    throw new RegistryError(`${where}.noticeBeforeSeconds must be at most deactivateAfterSeconds (${e.deactivateAfterSeconds}), got ${notice}`);
  }
  return {
    secretArn: str("secretArn", SECRET_ARN, "a Secrets Manager secret ARN"),
    userArn,
    deactivateAfterSeconds: seconds("deactivateAfterSeconds"),
    deleteAfterSeconds: seconds("deleteAfterSeconds"),
    postponeWhileInUseSeconds: seconds("postponeWhileInUseSeconds"),
    foreignKeyPolicy: policy,
    removal,
    scheduleExpression: str("scheduleExpression", SCHEDULE, "rate(N hours|days) or cron(...)"),
    ...e.windowHours === void 0 ? {} : { windowHours: seconds("windowHours") },
    rotateOnDeploy: e.rotateOnDeploy,
    ...notice === void 0 ? {} : { noticeBeforeSeconds: notice },
    ...owner === void 0 ? {} : { owner }
  };
}
function asObject(v, where) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RegistryError(`${where} must be a JSON object, got ${show(v)}`);
  return v;
}
function show(v) {
  const text = v === void 0 ? "nothing" : JSON.stringify(v);
  return text.length > 200 ? `${text.slice(0, 200)}\u2026` : text;
}
var SECRET_DESCRIPTION_PREFIX = LIBRARY;
var ROTATION_RESOURCE_TYPE = "Custom::AccessKeyRotation";
var DEPARTURES_RESOURCE_TYPE = "Custom::AccessKeyDepartures";
var RotationProperties = {
  SECRET: "SecretArn",
  USER: "UserArn",
  REMOVAL: "Removal",
  SCHEDULE: "ScheduleExpression",
  WINDOW: "WindowHours",
  ROTATE_ON_DEPLOY: "RotateOnDeploy"
};
var DeparturesProperties = {
  /** `<secret ARN> <user ARN>` of every registration. */
  REGISTRATIONS: "Registrations"
};
var DeparturesAttributes = {
  USERS: "UserArns",
  SECRETS: "SecretArns"
};
function placeholderUserArn(partition, account) {
  return `arn:${partition}:iam::${account}:user/${"no-registration-departs".padEnd(65, "-")}`;
}
function placeholderSecretArn(partition, region, account) {
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${"no-registration-departs".padEnd(513, "-")}`;
}
var TAG_PREFIX = "access-key-rotation:";
var Tags = {
  /** Written by the function: the key in AWSCURRENT and when it was promoted. */
  CURRENT_KEY: `${TAG_PREFIX}current-key`,
  /** Written by the rotation: the superseded key and when it was superseded (the lifecycle's cheap hint). */
  PREVIOUS_KEY: `${TAG_PREFIX}previous-key`,
  /** Prefix of the tag, one per old key, where the lifecycle records its progress (`key/<access key id>`). */
  KEY_PROGRESS_PREFIX: `${TAG_PREFIX}key/`,
  /** Written by the function right after CreateAccessKey: the id of the key it is about to store. */
  CREATING: `${TAG_PREFIX}creating`,
  /** Written by the function under ForeignKeyPolicy.ADOPT: the hand-made key taken over. */
  ADOPTING: `${TAG_PREFIX}adopting`,
  /** Operator hold: while present, the lifecycle leaves the previous key as it is. */
  HOLD: `${TAG_PREFIX}hold`,
  /** Operator request (`requested-at=<ISO time>`): the next rotation, if it starts within the hour, is an emergency revoke. */
  REVOKE: `${TAG_PREFIX}revoke`
};
var FUNCTION_TAGGED_KEYS = [Tags.CURRENT_KEY, Tags.PREVIOUS_KEY, `${Tags.KEY_PROGRESS_PREFIX}*`, Tags.CREATING, Tags.ADOPTING, Tags.HOLD];
var FUNCTION_UNTAGGED_KEYS = [Tags.PREVIOUS_KEY, `${Tags.KEY_PROGRESS_PREFIX}*`, Tags.CREATING, Tags.ADOPTING, Tags.REVOKE];
var REVOKE_REQUEST_TTL_SECONDS = HOUR;
var Stage = {
  CURRENT: "AWSCURRENT",
  PENDING: "AWSPENDING",
  PREVIOUS: "AWSPREVIOUS",
  /**
   * On the version whose key replaced its predecessor by an emergency revoke:
   * that predecessor is deactivated at once and deleted at the next lifecycle run.
   */
  REVOKED_PREDECESSOR: "ACCESS_KEY_ROTATION_REVOKED_PREDECESSOR"
};
var KEY_LABEL = /^AKIA[A-Z0-9]{12,124}$/;
function isKeyLabel(label) {
  return KEY_LABEL.test(label);
}
var Metrics = {
  NAMESPACE: LIBRARY,
  DIMENSION: "FunctionName",
  /** Rotation steps that failed or were refused. */
  ROTATION_FAILURES: "RotationFailures",
  /** Secrets whose lifecycle transition failed in a run. */
  LIFECYCLE_FAILURES: "LifecycleFailures"
};
var LIFECYCLE_ACTION = "lifecycle";

// src/rotation/gateway.ts
var NotFound = class extends Error {
  constructor(message) {
    super(message);
    this.name = "NotFound";
  }
};
var PermissionDenied = class extends Error {
  constructor(message) {
    super(message);
    this.name = "PermissionDenied";
  }
};
var KeyNotAccepted = class extends Error {
  constructor(message) {
    super(message);
    this.name = "KeyNotAccepted";
  }
};

// src/rotation/aws.ts
function defaultClients(region) {
  const common = { region, retryMode: "adaptive", maxAttempts: 8 };
  return {
    iam: new import_client_iam.IAMClient(common),
    secretsManager: new import_client_secrets_manager.SecretsManagerClient(common),
    eventBridge: new import_client_eventbridge.EventBridgeClient(common),
    cloudFormation: new import_client_cloudformation.CloudFormationClient(common),
    cloudWatch: new import_client_cloudwatch.CloudWatchClient(common),
    region
  };
}
var NOT_ACCEPTED = /* @__PURE__ */ new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied", "UnrecognizedClientException"]);
function toTagMap(tags) {
  const out = {};
  for (const t of tags ?? []) if (t.Key !== void 0) out[t.Key] = t.Value ?? "";
  return out;
}
function errorName(e) {
  return e?.name;
}
function isNotFound(e) {
  return ["ResourceNotFoundException", "NoSuchEntityException", "NoSuchEntity"].includes(errorName(e) ?? "");
}
var AwsGateway = class {
  constructor(clients) {
    this.clients = clients;
  }
  clients;
  // ---- Secrets Manager -------------------------------------------------
  async describeSecret(secretId) {
    try {
      const out = await this.clients.secretsManager.send(new import_client_secrets_manager.DescribeSecretCommand({ SecretId: secretId }));
      return {
        arn: out.ARN,
        name: out.Name,
        rotationLambdaArn: out.RotationLambdaARN || void 0,
        tags: toTagMap(out.Tags),
        versions: out.VersionIdsToStages ?? {},
        createdAt: out.CreatedDate,
        nextRotationAt: out.NextRotationDate,
        description: out.Description
      };
    } catch (e) {
      if (isNotFound(e)) throw new NotFound(`secret ${secretId} does not exist`);
      throw e;
    }
  }
  async getSecretString(secretId, stage, versionId) {
    try {
      const out = await this.clients.secretsManager.send(new import_client_secrets_manager.GetSecretValueCommand({
        SecretId: secretId,
        VersionStage: stage,
        VersionId: versionId
      }));
      return out.SecretString;
    } catch (e) {
      if (isNotFound(e)) return void 0;
      throw e;
    }
  }
  async putPendingValue(secretId, token, value, labels) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: value,
      VersionStages: labels
    }));
  }
  async moveLabel(secretId, label, toVersionId, fromVersionId) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: label,
      MoveToVersionId: toVersionId,
      RemoveFromVersionId: fromVersionId
    }));
  }
  async removeLabel(secretId, label, fromVersionId) {
    try {
      await this.clients.secretsManager.send(new import_client_secrets_manager.UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: label,
        RemoveFromVersionId: fromVersionId
      }));
    } catch (e) {
      if (errorName(e) === "InvalidParameterException" && !((await this.describeSecret(secretId)).versions[fromVersionId] ?? []).includes(label)) return;
      throw e;
    }
  }
  async listVersions(secretId) {
    const versions = [];
    for await (const page of (0, import_client_secrets_manager.paginateListSecretVersionIds)({ client: this.clients.secretsManager }, { SecretId: secretId })) {
      for (const v of page.Versions ?? []) {
        if (v.VersionStages?.length) versions.push({ versionId: v.VersionId, labels: v.VersionStages, createdAt: v.CreatedDate });
      }
    }
    return versions;
  }
  async tag(secretId, tags) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.TagResourceCommand({
      SecretId: secretId,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
    }));
  }
  async untag(secretId, keys) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.UntagResourceCommand({ SecretId: secretId, TagKeys: keys }));
  }
  async configureRotation(secretId, rotationLambdaArn, rules, rotateNow) {
    try {
      await this.rotateSecret(secretId, rotationLambdaArn, rules, rotateNow);
    } catch (e) {
      if (/AccessDenied/.test(errorName(e) ?? "")) throw new PermissionDenied(`RotateSecret on ${secretId} denied: ${e.message}`);
      throw e;
    }
  }
  async rotateSecret(secretId, rotationLambdaArn, rules, rotateNow) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: rotationLambdaArn,
      RotationRules: {
        ScheduleExpression: rules.scheduleExpression,
        Duration: rules.windowHours === void 0 ? void 0 : `${rules.windowHours}h`
      },
      RotateImmediately: rotateNow
    }));
  }
  async cancelRotation(secretId) {
    try {
      await this.clients.secretsManager.send(new import_client_secrets_manager.CancelRotateSecretCommand({ SecretId: secretId }));
    } catch (e) {
      if (isNotFound(e) || errorName(e) === "InvalidRequestException") return;
      throw e;
    }
  }
  async *listSecrets(descriptionPrefix) {
    const pages = (0, import_client_secrets_manager.paginateListSecrets)({ client: this.clients.secretsManager, pageSize: 100 }, {
      Filters: [{ Key: "description", Values: [descriptionPrefix] }]
    });
    for await (const page of pages) {
      for (const s of page.SecretList ?? []) {
        if (!s.Description?.startsWith(descriptionPrefix)) continue;
        yield {
          arn: s.ARN,
          name: s.Name,
          rotationLambdaArn: s.RotationLambdaARN || void 0,
          tags: toTagMap(s.Tags),
          versions: s.SecretVersionsToStages ?? {}
        };
      }
    }
  }
  // ---- IAM ------------------------------------------------------------
  async listAccessKeys(userName) {
    const keys = [];
    for await (const page of (0, import_client_iam.paginateListAccessKeys)({ client: this.clients.iam }, { UserName: userName })) {
      for (const k of page.AccessKeyMetadata ?? []) {
        keys.push({ accessKeyId: k.AccessKeyId, status: k.Status, createdAt: k.CreateDate });
      }
    }
    return keys;
  }
  async createAccessKey(userName) {
    const out = await this.clients.iam.send(new import_client_iam.CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: out.AccessKey.AccessKeyId, secretAccessKey: out.AccessKey.SecretAccessKey };
  }
  async setAccessKeyStatus(userName, accessKeyId, status) {
    try {
      await this.clients.iam.send(new import_client_iam.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
  async deleteAccessKey(userName, accessKeyId) {
    try {
      await this.clients.iam.send(new import_client_iam.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
  async lastUse(accessKeyId) {
    try {
      const out = await this.clients.iam.send(new import_client_iam.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      const used = out.AccessKeyLastUsed;
      return { gone: false, at: used?.LastUsedDate, service: used?.ServiceName, region: used?.Region };
    } catch (e) {
      if (isNotFound(e)) return { gone: true };
      throw e;
    }
  }
  // ---- STS ------------------------------------------------------------
  async callerArn(accessKeyId, secretAccessKey) {
    const sts = new import_client_sts.STSClient({ region: this.clients.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    try {
      const out = await sts.send(new import_client_sts.GetCallerIdentityCommand({}));
      return out.Arn;
    } catch (e) {
      if (NOT_ACCEPTED.has(errorName(e) ?? "")) throw new KeyNotAccepted(`STS does not accept key ${accessKeyId} (yet): ${errorName(e)}`);
      throw e;
    } finally {
      sts.destroy();
    }
  }
  // ---- EventBridge ----------------------------------------------------
  async putEvents(entries) {
    for (let i = 0; i < entries.length; i += 10) {
      const out = await this.clients.eventBridge.send(new import_client_eventbridge.PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`EventBridge rejected ${out.FailedEntryCount} audit event(s): ${codes.join("; ")}`);
      }
    }
  }
  // ---- CloudWatch -----------------------------------------------------
  async putMetric(name, value, dimensions) {
    await this.clients.cloudWatch.send(new import_client_cloudwatch.PutMetricDataCommand({
      Namespace: Metrics.NAMESPACE,
      MetricData: [{
        MetricName: name,
        Value: value,
        Unit: import_client_cloudwatch.StandardUnit.Count,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))
      }]
    }));
  }
  // ---- CloudFormation -------------------------------------------------
  async stackResource(stackId, logicalId) {
    try {
      const out = await this.clients.cloudFormation.send(new import_client_cloudformation.DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalId }));
      const d = out.StackResourceDetail;
      return {
        type: d.ResourceType,
        physicalId: d.PhysicalResourceId || void 0,
        status: d.ResourceStatus,
        metadata: d.Metadata ? JSON.parse(d.Metadata) : void 0
      };
    } catch (e) {
      if (errorName(e) === "ValidationError" && /does not exist/.test(e.message)) return void 0;
      throw e;
    }
  }
  async stack(stackId) {
    try {
      const out = await this.clients.cloudFormation.send(new import_client_cloudformation.DescribeStacksCommand({ StackName: stackId }));
      const s = out.Stacks[0];
      return { status: s.StackStatus, createdAt: s.CreationTime, updatedAt: s.LastUpdatedTime };
    } catch (e) {
      if (errorName(e) === "ValidationError") throw new NotFound(`stack ${stackId} does not exist`);
      throw e;
    }
  }
  async *stackEvents(stackId) {
    for await (const page of (0, import_client_cloudformation.paginateDescribeStackEvents)({ client: this.clients.cloudFormation }, { StackName: stackId })) {
      for (const e of page.StackEvents ?? []) {
        yield {
          logicalId: e.LogicalResourceId,
          physicalId: e.PhysicalResourceId || void 0,
          resourceType: e.ResourceType,
          status: e.ResourceStatus,
          timestamp: e.Timestamp
        };
      }
    }
  }
};

// src/rotation/model.ts
var ACTIVE = "Active";
var INACTIVE = "Inactive";
var ConfigurationError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ConfigurationError";
  }
};
var RefusedError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "Refused";
  }
};
function versionWithLabel(versions, label) {
  return Object.keys(versions).find((id) => versions[id].includes(label));
}
function keyOfVersion(versions, versionId) {
  return versionId === void 0 ? void 0 : versions[versionId]?.find(isKeyLabel);
}
function keyAtStage(versions, stage) {
  return keyOfVersion(versions, versionWithLabel(versions, stage));
}
function labelledKeys(versions) {
  const out = /* @__PURE__ */ new Map();
  for (const [versionId, labels] of Object.entries(versions)) {
    for (const label of labels) if (isKeyLabel(label)) out.set(label, versionId);
  }
  return out;
}
function stagedKeys(versions) {
  const currentVersion = versionWithLabel(versions, Stage.CURRENT);
  return {
    current: keyOfVersion(versions, currentVersion),
    pending: keyAtStage(versions, Stage.PENDING),
    previous: keyAtStage(versions, Stage.PREVIOUS),
    revokedPredecessor: currentVersion !== void 0 && versions[currentVersion].includes(Stage.REVOKED_PREDECESSOR)
  };
}
function parseCredentials(secretString, where) {
  if (!secretString) return void 0;
  let parsed;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new ConfigurationError(`${where} is not JSON; the rotation expects the documented schema`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`${where} is not a JSON object; the rotation expects the documented schema`);
  }
  const v = parsed;
  if (v.accessKeyId === void 0) return void 0;
  for (const field of ["userName", "accessKeyId", "secretAccessKey", "createdAt"]) {
    if (typeof v[field] !== "string" || v[field] === "") {
      throw new ConfigurationError(`${where}: field ${field} must be a non-empty string`);
    }
  }
  return {
    userName: v.userName,
    accessKeyId: v.accessKeyId,
    secretAccessKey: v.secretAccessKey,
    createdAt: v.createdAt
  };
}
function encodeFields(fields) {
  return Object.entries(fields).filter(([, v]) => v !== void 0 && v !== "").map(([k, v]) => `${k}=${v}`).join(" ");
}
function decodeFields(value) {
  const out = {};
  for (const part of (value ?? "").split(" ")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}
function hintDate(value) {
  if (value === void 0) return void 0;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? void 0 : d;
}
function parsePreviousKeyHint(tags) {
  const f = decodeFields(tags[Tags.PREVIOUS_KEY]);
  return f.id ? { accessKeyId: f.id, supersededAt: hintDate(f["superseded-at"]) } : void 0;
}
function formatPreviousKey(accessKeyId, supersededAt2) {
  return encodeFields({ "id": accessKeyId, "superseded-at": supersededAt2.toISOString() });
}
function keyProgressTag(accessKeyId) {
  return `${Tags.KEY_PROGRESS_PREFIX}${accessKeyId}`;
}
function parseKeyProgress(tags, accessKeyId) {
  const f = decodeFields(tags[keyProgressTag(accessKeyId)]);
  return {
    usageCheckedAt: hintDate(f["usage-checked-at"]),
    deactivatedAt: hintDate(f["deactivated-at"]),
    deletedAt: hintDate(f["deleted-at"]),
    heldAt: hintDate(f["held-at"])
  };
}
function formatKeyProgress(accessKeyId, progress) {
  return {
    [keyProgressTag(accessKeyId)]: encodeFields({
      "usage-checked-at": progress.usageCheckedAt?.toISOString(),
      "deactivated-at": progress.deactivatedAt?.toISOString(),
      "deleted-at": progress.deletedAt?.toISOString(),
      "held-at": progress.heldAt?.toISOString()
    })
  };
}
function parseCurrentKeyHint(tags) {
  return decodeFields(tags[Tags.CURRENT_KEY]).id;
}
function parseCreatingMarker(tags) {
  return decodeFields(tags[Tags.CREATING]).id;
}
function formatCreatingMarker(accessKeyId, at) {
  return encodeFields({ id: accessKeyId, since: at.toISOString() });
}
function parseRevokeRequest(tags) {
  if (tags[Tags.REVOKE] === void 0) return void 0;
  return hintDate(decodeFields(tags[Tags.REVOKE])["requested-at"]) ?? "malformed";
}
function formatSeconds(seconds) {
  const units = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} seconds`;
}

// src/rotation/registry.ts
var Registry = class {
  constructor(document) {
    this.document = document;
    this.bySecret = new Map(document.registrations.map((r) => [r.secretArn, r]));
  }
  document;
  bySecret;
  get registrations() {
    return this.document.registrations;
  }
  find(secretArn) {
    return this.bySecret.get(secretArn);
  }
  /** The registration of a secret; refused when this stack did not register it. */
  require(secretArn) {
    const r = this.bySecret.get(secretArn);
    if (!r) throw new RefusedError(`secret ${secretArn} is not registered with this rotator's stack; the function acts only on the secrets its stack registered`);
    return r;
  }
};
var StackRegistrySource = class {
  constructor(gateway2, options) {
    this.gateway = gateway2;
    this.options = options;
  }
  gateway;
  options;
  cached;
  async load() {
    if (this.cached) return this.cached;
    if (!this.options.stackId || !this.options.logicalId || !this.options.digest) {
      throw new RegistryError("the function has no registry configured (its stack id, resource and digest environment variables are unset)");
    }
    const attempts = this.options.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      const resource = await this.gateway.stackResource(this.options.stackId, this.options.logicalId);
      if (!resource) throw new RegistryError(`stack ${this.options.stackId} has no resource ${this.options.logicalId} to read the registry from`);
      const document = parseRegistry(resource.metadata);
      if (document.digest === this.options.digest) {
        this.cached = new Registry(document);
        return this.cached;
      }
      if (attempt >= attempts) {
        throw new RegistryError(`the registry in CloudFormation (digest ${document.digest.slice(0, 12)}) is not the one this function was deployed with (${this.options.digest.slice(0, 12)}); the stack is being updated: try again when it is done`);
      }
      await new Promise((r) => setTimeout(r, (this.options.delayMs ?? 1e3) * attempt));
    }
  }
};

// src/rotation/audit.ts
var Redactor = class {
  secrets = /* @__PURE__ */ new Set();
  add(secret) {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }
  redact(text) {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("[REDACTED]");
    return out;
  }
};
var Logger = class {
  constructor(sink, redactor) {
    this.sink = sink;
    this.redactor = redactor;
  }
  sink;
  redactor;
  info(message, fields = {}) {
    this.log("INFO", message, fields);
  }
  warn(message, fields = {}) {
    this.log("WARN", message, fields);
  }
  error(message, fields = {}) {
    this.log("ERROR", message, fields);
  }
  log(level, message, fields) {
    this.sink.write(this.redactor.redact(JSON.stringify({ level, message, ...fields })));
  }
};
var AuditTrail = class {
  constructor(events, logger, redactor, eventBusName, clock) {
    this.events = events;
    this.logger = logger;
    this.redactor = redactor;
    this.eventBusName = eventBusName;
    this.clock = clock;
  }
  events;
  logger;
  redactor;
  eventBusName;
  clock;
  pending = [];
  record(type, detail) {
    const clean = this.redactor.redact(JSON.stringify(detail));
    this.logger.info(type, { event: JSON.parse(clean) });
    this.pending.push({
      Source: EVENT_SOURCE,
      DetailType: type,
      Detail: clean,
      EventBusName: this.eventBusName,
      Resources: [detail.secretArn ?? detail.stackId].filter((r) => !!r),
      Time: this.clock()
    });
  }
  /** Sends the recorded events; they stay recorded until EventBridge has taken them. */
  async flush() {
    if (this.pending.length === 0) return;
    await this.events.putEvents(this.pending);
    this.pending = [];
  }
};
function describeError(e, redactor) {
  const err = e;
  return redactor.redact(`${err?.name ?? "Error"}: ${err?.message ?? String(e)}`);
}

// src/rotation/cfn-response.ts
var MAX_RESPONSE_BYTES = 4096;
var DNS_SUFFIX = {
  "aws": "amazonaws.com",
  "aws-cn": "amazonaws.com.cn",
  "aws-us-gov": "amazonaws.com"
};
function responseUrlProblem(responseUrl, stackId) {
  const [, partition, , region] = stackId.split(":");
  const suffix = DNS_SUFFIX[partition];
  if (!suffix || !region) return `the stack id ${stackId} names no known partition and region`;
  if (typeof responseUrl !== "string") return "ResponseURL is not a string";
  let url;
  try {
    url = new URL(responseUrl);
  } catch {
    return "ResponseURL is not a URL";
  }
  if (url.protocol !== "https:") return `ResponseURL must use https, got ${url.protocol}`;
  if (url.username || url.password || url.port) return "ResponseURL must not carry credentials or a port";
  const bucket = `cloudformation-custom-resource-response-${region.replace(/-/g, "")}`;
  const escaped = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const endpoint = `s3(?:[.-]${escaped(region)})?\\.${escaped(suffix)}`;
  const virtualHosted = new RegExp(`^${escaped(bucket)}\\.${endpoint}$`);
  const pathStyle = new RegExp(`^${endpoint}$`);
  if (virtualHosted.test(url.hostname)) return void 0;
  if (pathStyle.test(url.hostname) && url.pathname.startsWith(`/${bucket}/`)) return void 0;
  return `ResponseURL host ${url.hostname} is not CloudFormation's response bucket ${bucket} in ${region}`;
}
var fetchTransport = {
  async put(url, body) {
    const res = await fetch(url, {
      method: "PUT",
      body,
      headers: { "content-type": "" },
      redirect: "error",
      signal: AbortSignal.timeout(1e4)
    });
    if (!res.ok) throw new Error(`CloudFormation's response bucket answered HTTP ${res.status}`);
  }
};
function responseBody(response) {
  const body = JSON.stringify({ ...response, Reason: response.Reason?.slice(0, 1e3) });
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    throw new Error(`the response to CloudFormation would be ${Buffer.byteLength(body)} bytes; it accepts at most ${MAX_RESPONSE_BYTES}`);
  }
  return body;
}

// src/rotation/custom-resources.ts
var import_crypto = require("crypto");

// src/rotation/decide.ts
var MAX_KEYS_PER_USER = 2;
var MS = 1e3;
var DAY_MS = 86400 * MS;
var isActive = (k) => k.status === ACTIVE;
var plus = (d, seconds) => new Date(d.getTime() + seconds * MS);
var later = (a, b) => b && b > a ? b : a;
function planCreate(input) {
  const adopt = input.policy === "ADOPT" /* ADOPT */;
  const present = new Set(input.keys.map((k) => k.accessKeyId));
  const held = new Set(input.heldKeyIds);
  const previous = /* @__PURE__ */ new Set();
  if (input.previousKeyId) previous.add(input.previousKeyId);
  if (adopt && input.previousHint && !held.has(input.previousHint) && input.previousHint !== input.currentKeyId) previous.add(input.previousHint);
  const recordedAdoption = adopt && input.adoptingHint && present.has(input.adoptingHint) && !held.has(input.adoptingHint) && input.adoptingHint !== input.currentKeyId ? input.adoptingHint : void 0;
  const owned = (id) => id === input.currentKeyId || held.has(id) || previous.has(id) || id === recordedAdoption;
  const deletions = [];
  const foreign = [];
  for (const key of input.keys) {
    if (owned(key.accessKeyId)) continue;
    if (input.orphanKeyIds.includes(key.accessKeyId)) {
      deletions.push({
        accessKeyId: key.accessKeyId,
        reason: "orphan: created by an interrupted attempt of this rotation, never stored and never used",
        wasActive: isActive(key)
      });
    } else {
      foreign.push(key);
    }
  }
  let adoptKeyId = recordedAdoption;
  if (foreign.length > 0) {
    const ids = foreign.map((k) => `${k.accessKeyId} (${k.status})`).join(", ");
    const active = foreign.filter(isActive);
    const inactive = foreign.filter((k) => !isActive(k));
    switch (input.policy) {
      case "FAIL" /* FAIL */:
        return {
          kind: "fail",
          reason: `user ${input.userName} has access keys this library did not create: ${ids}; delete them, or choose a foreign key policy (DELETE_INACTIVE, ADOPT)`,
          accessKeyIds: foreign.map((k) => k.accessKeyId)
        };
      case "DELETE_INACTIVE" /* DELETE_INACTIVE */:
        if (active.length > 0) {
          return {
            kind: "fail",
            reason: `user ${input.userName} has active access keys this library did not create: ${active.map((k) => k.accessKeyId).join(", ")}; policy DELETE_INACTIVE deletes only inactive ones`,
            accessKeyIds: active.map((k) => k.accessKeyId)
          };
        }
        break;
      case "ADOPT" /* ADOPT */:
        if (active.length > 1 || active.length === 1 && adoptKeyId) {
          const names = [...active.map((k) => k.accessKeyId), ...adoptKeyId ? [adoptKeyId] : []];
          return {
            kind: "fail",
            reason: `user ${input.userName} has more than one active access key this library did not create (${names.join(", ")}); ADOPT takes over one: deactivate the other first`,
            accessKeyIds: names
          };
        }
        if (active.length === 1) adoptKeyId = active[0].accessKeyId;
        break;
    }
    for (const key of inactive) {
      deletions.push({ accessKeyId: key.accessKeyId, reason: `foreign inactive key, policy ${input.policy}`, wasActive: false });
    }
  }
  const deleted = new Set(deletions.map((d) => d.accessKeyId));
  const remaining = input.keys.filter((k) => !deleted.has(k.accessKeyId));
  const rank = (id) => previous.has(id) ? 0 : held.has(id) ? 1 : 2;
  const sacrificable = remaining.filter((k) => k.accessKeyId !== input.currentKeyId).sort((a, b) => rank(a.accessKeyId) - rank(b.accessKeyId));
  while (remaining.length >= MAX_KEYS_PER_USER) {
    const victim = sacrificable.shift();
    if (!victim) {
      return { kind: "fail", reason: `user ${input.userName} has no free access key slot`, accessKeyIds: remaining.map((k) => k.accessKeyId) };
    }
    if (!held.has(victim.accessKeyId) && isActive(victim)) {
      return {
        kind: "fail",
        reason: `user ${input.userName} has no free access key slot: the active key ${victim.accessKeyId} is held by no version of the secret, and making room would mean deleting it at once; deactivate it first (it is then deleted to make room)`,
        accessKeyIds: [victim.accessKeyId]
      };
    }
    deletions.push({
      accessKeyId: victim.accessKeyId,
      reason: "superseded key deleted to make room for the new key (IAM allows two per user)",
      wasActive: isActive(victim)
    });
    remaining.splice(remaining.indexOf(victim), 1);
    if (victim.accessKeyId === adoptKeyId) adoptKeyId = void 0;
  }
  return { kind: "create", deletions, adoptKeyId };
}
function provenOrphan(e) {
  if (!e.markerId || !e.key || e.key.accessKeyId !== e.markerId) return false;
  if (e.heldKeyIds.includes(e.markerId)) return false;
  if (!e.lastUse || e.lastUse.gone || e.lastUse.at !== void 0) return false;
  if (!e.key.createdAt || !e.attemptStartedAt) return false;
  return e.key.createdAt.getTime() >= e.attemptStartedAt.getTime();
}
function usageCheckAt(config, superseded) {
  return plus(superseded, config.deactivateAfterSeconds - (config.noticeBeforeSeconds ?? config.deactivateAfterSeconds / 2));
}
function retirableKey(input) {
  const { staged } = input;
  const id = staged.previous ?? (input.config.foreignKeyPolicy === "ADOPT" /* ADOPT */ ? input.previousHint?.accessKeyId : void 0);
  if (!id || id === staged.current || id === staged.pending) return void 0;
  return id;
}
var CLOCK_TOLERANCE_MS = 5 * 60 * MS;
function supersededAt(input, accessKeyId) {
  const hinted = input.previousHint?.accessKeyId === accessKeyId ? input.previousHint.supersededAt : void 0;
  const created = input.keys?.find((k) => k.accessKeyId === input.staged.current)?.createdAt;
  if (input.keys && !created) return void 0;
  const bound = created && new Date(created.getTime() - CLOCK_TOLERANCE_MS);
  if (!hinted || !bound) return hinted ?? created;
  return later(hinted, bound);
}
function planLifecycle(input, now) {
  const id = retirableKey(input);
  if (!id) return { kind: "none", reason: "no old key to retire" };
  const { config, progress } = input;
  const revoked = input.staged.revokedPredecessor && id === input.staged.previous;
  if (progress.deletedAt) return { kind: "none", reason: `${id} is recorded as deleted` };
  if (!input.keys) {
    if (revoked) return { kind: "read" };
    if (input.hold !== void 0 && holds(input.hold, id)) {
      return progress.deactivatedAt && !progress.heldAt ? { kind: "read" } : { kind: "none", reason: `held: ${input.hold}` };
    }
    if (progress.heldAt) return { kind: "read" };
    const superseded2 = input.previousHint?.accessKeyId === id ? input.previousHint.supersededAt : void 0;
    if (!superseded2) return { kind: "read" };
    const due2 = plus(superseded2, config.deactivateAfterSeconds);
    if (progress.deactivatedAt) {
      const deleteAt2 = plus(later(progress.deactivatedAt, due2), config.deleteAfterSeconds);
      return now >= deleteAt2 ? { kind: "read" } : { kind: "none", reason: "inactive, retained", nextAt: deleteAt2 };
    }
    const checkAt = usageCheckAt(config, superseded2);
    if (now >= due2 || now >= checkAt && !progress.usageCheckedAt) return { kind: "read" };
    return { kind: "none", reason: "grace period", nextAt: progress.usageCheckedAt || now >= checkAt ? due2 : checkAt };
  }
  const key = input.keys.find((k) => k.accessKeyId === id);
  if (!key) return { kind: "forget", accessKeyId: id };
  if (revoked) return { kind: "delete-revoked", accessKeyId: id, wasActive: isActive(key) };
  if (input.hold !== void 0 && holds(input.hold, id)) {
    if (progress.deactivatedAt && !progress.heldAt && key.status === ACTIVE) return { kind: "record-hold", accessKeyId: id };
    return { kind: "none", reason: `held: ${input.hold}` };
  }
  if (progress.deactivatedAt && progress.heldAt) {
    return key.status === ACTIVE ? { kind: "deactivate", accessKeyId: id } : { kind: "record-deactivation", accessKeyId: id };
  }
  const superseded = supersededAt(input, id);
  if (!superseded) return { kind: "none", reason: `no record of when ${id} was superseded` };
  const due = plus(superseded, config.deactivateAfterSeconds);
  if (!progress.deactivatedAt) {
    if (key.status === INACTIVE) return { kind: "record-deactivation", accessKeyId: id };
    if (now >= due) return { kind: "deactivate", accessKeyId: id };
    const checkAt = usageCheckAt(config, superseded);
    if (now >= checkAt && !progress.usageCheckedAt) return { kind: "check-usage", accessKeyId: id };
    return { kind: "none", reason: "grace period", nextAt: progress.usageCheckedAt || now >= checkAt ? due : checkAt };
  }
  const deleteAt = plus(later(progress.deactivatedAt, due), config.deleteAfterSeconds);
  if (now < deleteAt) return { kind: "none", reason: "inactive, retained", nextAt: deleteAt };
  return key.status === ACTIVE ? { kind: "hold", accessKeyId: id } : { kind: "delete", accessKeyId: id };
}
function holds(hold, accessKeyId) {
  const named = decodeFields(hold).id;
  return named === void 0 || named === accessKeyId;
}
function deactivationDueAt(config, superseded) {
  return plus(superseded, config.deactivateAfterSeconds);
}
function usedAfterPromotion(superseded, lastUsed) {
  return lastUsed !== void 0 && lastUsed > superseded;
}
function planDeactivation(config, superseded, usageCheckedAt, lastUsed, now) {
  const inUse = usedAfterPromotion(superseded, lastUsed);
  const limit = plus(deactivationDueAt(config, superseded), config.postponeWhileInUseSeconds);
  if (inUse && now < limit) {
    const warn = !usageCheckedAt || now.getTime() - usageCheckedAt.getTime() >= DAY_MS;
    return { kind: "postpone", until: limit, warn };
  }
  return { kind: "deactivate", stillInUse: inUse };
}
function revokeRequested(requestedAt, now, ttlSeconds) {
  if (!requestedAt || requestedAt === "malformed") return false;
  const age = now.getTime() - requestedAt.getTime();
  return age >= -5 * 60 * MS && age <= ttlSeconds * MS;
}
var ROLLBACK = /* @__PURE__ */ new Set(["ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"]);
function isRollback(stackStatus) {
  return ROLLBACK.has(stackStatus);
}
function planRemoval(input) {
  const release = (why) => ({
    kind: "release",
    deleteKeys: input.removal === Removal.DESTROY,
    reason: `${why}; removal policy ${input.removal}`
  });
  const same = input.replacedBy === "same-registration";
  if (ROLLBACK.has(input.stackStatus)) {
    if (same) return { kind: "nothing", reason: `rollback (${input.stackStatus}) to the same registration: its keys stay` };
    if (!input.freshSecret) return { kind: "nothing", reason: `rollback (${input.stackStatus}) of a registration whose secret held keys before: they stay` };
    return release(`rollback (${input.stackStatus}) of a registration created by the operation being undone`);
  }
  if (input.stackStatus === "DELETE_IN_PROGRESS") return release("the stack is being deleted");
  if (input.stackStatus === "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") {
    if (same) return { kind: "nothing", reason: "replaced by a newer resource for the same secret and user, which stays registered" };
    return release(input.replacedBy ? "the registration's secret or user changed" : "the registration left the stack");
  }
  return { kind: "refuse", reason: `CloudFormation does not delete registrations while the stack is ${input.stackStatus}` };
}
function keysToRelease(keys, heldKeyIds, orphanKeyIds) {
  const ours = /* @__PURE__ */ new Set([...heldKeyIds, ...orphanKeyIds]);
  return { release: keys.filter((k) => ours.has(k.accessKeyId)), foreign: keys.filter((k) => !ours.has(k.accessKeyId)) };
}
function departing(oldRegistrations, newRegistrations) {
  const kept = new Set(newRegistrations);
  const gone = [...new Set(oldRegistrations)].filter((r) => !kept.has(r)).map((r) => r.split(" "));
  return { secretArns: gone.map(([s]) => s), userArns: [...new Set(gone.map(([, u]) => u))] };
}

// src/rotation/custom-resources.ts
var DEPARTURES_PHYSICAL_ID = "access-key-departures";
var CREATE_FAILED_PHYSICAL_ID = "access-key-rotation-not-created";
var PHYSICAL_ID = /^rotation\.([0-9a-f]{32})\.(DESTROY|RETAIN)\.(new-secret|existing-secret)$/;
function registrationHash(secretArn, userArn) {
  return (0, import_crypto.createHash)("sha256").update(`${secretArn}
${userArn}`).digest("hex").slice(0, 32);
}
function rotationPhysicalId(secretArn, userArn, removal, freshSecret) {
  return `rotation.${registrationHash(secretArn, userArn)}.${removal}.${freshSecret ? "new-secret" : "existing-secret"}`;
}
function parseRotationPhysicalId(id) {
  const m = PHYSICAL_ID.exec(id ?? "");
  return m ? { hash: m[1], removal: m[2], freshSecret: m[3] === "new-secret" } : void 0;
}
var CustomResources = class {
  constructor(ctx, options) {
    this.ctx = ctx;
    this.options = options;
  }
  ctx;
  options;
  /** Handles one event; a refused or failed one fails the invocation (which raises the alarm) after answering CloudFormation when that is safe. */
  async handle(event, functionArn) {
    const { ctx } = this;
    const named = event.ResourceProperties?.[RotationProperties.SECRET];
    const where = {
      requestType: String(event.RequestType),
      stackId: String(event.StackId),
      logicalId: String(event.LogicalResourceId),
      requestId: String(event.RequestId),
      secretArn: typeof named === "string" ? named : void 0
    };
    const urlProblem = responseUrlProblem(event.ResponseURL, this.options.stackId);
    if (urlProblem) {
      await this.refused(where, `${urlProblem}; no answer sent`);
      throw new RefusedError(`custom resource event refused: ${urlProblem}`);
    }
    let physicalId = event.RequestType === "Create" ? CREATE_FAILED_PHYSICAL_ID : event.PhysicalResourceId;
    try {
      const resource = await this.verify(event);
      let data;
      if (event.ResourceType === ROTATION_RESOURCE_TYPE) {
        physicalId = await this.rotation(event, resource, functionArn);
      } else {
        physicalId = event.RequestType === "Delete" ? event.PhysicalResourceId : DEPARTURES_PHYSICAL_ID;
        data = this.departures(event);
      }
      await this.respond(event, { Status: "SUCCESS", PhysicalResourceId: physicalId, Data: data });
    } catch (e) {
      const reason = describeError(e, ctx.redactor);
      if (e instanceof RefusedError) await this.refused(where, reason);
      else ctx.logger.error("custom resource request failed", { ...where, reason });
      const answer = e instanceof PublicError ? e.message : `the request failed; see the rotation function's log for request ${event.RequestId}`;
      await this.respond(event, { Status: "FAILED", Reason: answer, PhysicalResourceId: physicalId }).catch((re) => ctx.logger.error("CloudFormation was not answered", { ...where, reason: describeError(re, ctx.redactor) }));
      throw e;
    }
  }
  // ---- verification ------------------------------------------------------------------
  /** Confirms the event with CloudFormation; returns the resource CloudFormation now holds under the logical id. */
  async verify(event) {
    if (event.StackId !== this.options.stackId) throw new RefusedError(`the event is for stack ${event.StackId}; this function serves ${this.options.stackId} only`);
    if (event.ResourceType !== ROTATION_RESOURCE_TYPE && event.ResourceType !== DEPARTURES_RESOURCE_TYPE) {
      throw new RefusedError(`resource type ${event.ResourceType} is not one this function provides`);
    }
    const resource = await this.ctx.gateway.stackResource(this.options.stackId, event.LogicalResourceId);
    const current = resource?.type === event.ResourceType ? resource : void 0;
    switch (event.RequestType) {
      case "Create":
        if (current?.status === "CREATE_IN_PROGRESS") return current;
        break;
      case "Update":
        if (current?.status === "UPDATE_IN_PROGRESS" && current.physicalId === event.PhysicalResourceId) return current;
        break;
      case "Delete":
        if (current?.status === "DELETE_IN_PROGRESS" && current.physicalId === event.PhysicalResourceId) return current;
        if (await this.deletionLogged(event.LogicalResourceId, event.ResourceType, event.PhysicalResourceId)) return current;
        break;
    }
    throw new RefusedError(`CloudFormation is not ${event.RequestType === "Create" ? "creating" : event.RequestType === "Update" ? "updating" : "deleting"} ${event.LogicalResourceId}${event.RequestType === "Create" ? "" : ` (${event.PhysicalResourceId})`} now (it holds ${resource ? `${resource.type} ${resource.physicalId ?? ""} ${resource.status}` : "no such resource"})`);
  }
  /** True when the stack's current operation logged DELETE_IN_PROGRESS for exactly this resource. */
  async deletionLogged(logicalId, type, physicalId) {
    const limit = this.options.maxStackEvents ?? 2e3;
    let read = 0;
    for await (const e of this.ctx.gateway.stackEvents(this.options.stackId)) {
      if (e.logicalId === logicalId && e.physicalId === physicalId && e.resourceType === type && e.status === "DELETE_IN_PROGRESS") return true;
      if (e.resourceType === "AWS::CloudFormation::Stack" && /^(CREATE|UPDATE|DELETE|IMPORT)_IN_PROGRESS$/.test(e.status)) return false;
      if (++read >= limit) return false;
    }
    return false;
  }
  // ---- Custom::AccessKeyRotation -------------------------------------------------------
  async rotation(event, current, functionArn) {
    const props = event.ResourceProperties;
    const secretArn = String(props[RotationProperties.SECRET] ?? "");
    const userArn = String(props[RotationProperties.USER] ?? "");
    const removal = props[RotationProperties.REMOVAL] === Removal.DESTROY ? Removal.DESTROY : Removal.RETAIN;
    if (event.RequestType === "Delete") return this.release(event, current, secretArn, userArn, removal);
    const stack = await this.ctx.gateway.stack(this.options.stackId);
    if (isRollback(stack.status)) {
      const had = parseRotationPhysicalId(event.RequestType === "Update" ? event.PhysicalResourceId : void 0);
      if (!had || had.hash !== registrationHash(secretArn, userArn)) {
        throw new RefusedError(`a rollback ${event.RequestType} of ${event.LogicalResourceId} names another secret or user than its physical id`);
      }
      await this.configure(secretArn, functionArn, rulesOf(props), false);
      return event.PhysicalResourceId;
    }
    const registration = (await this.ctx.registry.load()).require(secretArn);
    if (registration.userArn !== userArn || registration.removal !== removal) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} (user ${userArn}, removal ${removal}) disagree with the registry (user ${registration.userArn}, removal ${registration.removal})`);
    }
    const physicalId = await this.physicalIdFor(event, registration);
    const rules = rulesOf(registration);
    if (event.RequestType === "Create" || JSON.stringify(rulesOf(event.OldResourceProperties)) !== JSON.stringify(rules)) {
      await this.configure(secretArn, functionArn, rules, registration.rotateOnDeploy);
      this.ctx.logger.info("rotation configured", { secretId: secretArn, ...rules, rotateNow: registration.rotateOnDeploy });
    }
    return physicalId;
  }
  /** The same physical id while the registration and its removal policy stay; a new one (a replacement) otherwise. */
  async physicalIdFor(event, registration) {
    const had = parseRotationPhysicalId(event.RequestType === "Update" ? event.PhysicalResourceId : void 0);
    if (had && had.hash === registrationHash(registration.secretArn, registration.userArn) && had.removal === registration.removal) {
      return event.PhysicalResourceId;
    }
    return this.newPhysicalId(registration.secretArn, registration.userArn, registration.removal);
  }
  async newPhysicalId(secretArn, userArn, removal) {
    const secret = await this.ctx.gateway.describeSecret(secretArn);
    return rotationPhysicalId(secretArn, userArn, removal, labelledKeys(secret.versions).size === 0);
  }
  /** RotateSecret with this function; retried while IAM propagates permissions the same deployment just granted. */
  async configure(secretArn, functionArn, rules, rotateNow) {
    const attempts = this.options.configureAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ctx.gateway.configureRotation(secretArn, unqualified(functionArn), rules, rotateNow);
        return;
      } catch (e) {
        if (attempt >= attempts || !(e instanceof PermissionDenied)) throw e;
        this.ctx.logger.warn("RotateSecret denied; IAM may not have propagated this deployment's permissions yet", { secretId: secretArn, attempt });
        await new Promise((r) => setTimeout(r, (this.options.configureDelayMs ?? 2e3) * attempt));
      }
    }
  }
  /** A verified Delete: turn rotation off, and delete the registration's keys when it really leaves with DESTROY. */
  async release(event, current, secretArn, userArn, removal) {
    const { ctx } = this;
    const physicalId = event.PhysicalResourceId;
    if (physicalId === CREATE_FAILED_PHYSICAL_ID) return physicalId;
    const mine = parseRotationPhysicalId(physicalId);
    if (!mine || mine.hash !== registrationHash(secretArn, userArn) || mine.removal !== removal) {
      throw new RefusedError(`the properties of ${event.LogicalResourceId} are not those its physical id ${physicalId} was made from`);
    }
    const newer = current && current.physicalId !== physicalId ? parseRotationPhysicalId(current.physicalId) : void 0;
    const stack = await ctx.gateway.stack(this.options.stackId);
    const plan = planRemoval({
      stackStatus: stack.status,
      replacedBy: newer ? newer.hash === mine.hash ? "same-registration" : "other-registration" : void 0,
      removal,
      freshSecret: mine.freshSecret
    });
    const detail = { secretArn, userName: userNameOf(userArn) };
    ctx.logger.info("registration removal", { ...detail, plan });
    if (plan.kind === "refuse") throw new RefusedError(plan.reason);
    if (plan.kind === "nothing") return physicalId;
    await ctx.gateway.cancelRotation(secretArn);
    if (plan.deleteKeys) await this.deleteKeys(secretArn, userArn, plan.reason);
    await ctx.audit.flush();
    return physicalId;
  }
  /** Deletes the keys the secret's versions hold and proven orphans; keys made by hand stay, named in the log. */
  async deleteKeys(secretArn, userArn, why) {
    const { ctx } = this;
    const userName = userNameOf(userArn);
    let versions;
    let tags;
    try {
      ({ versions, tags } = await ctx.gateway.describeSecret(secretArn));
    } catch (e) {
      if (e instanceof NotFound) return;
      throw e;
    }
    const held = [...labelledKeys(versions).keys()];
    const keys = await ctx.gateway.listAccessKeys(userName);
    const orphans = [];
    const marker = parseCreatingMarker(tags);
    const marked = keys.find((k) => k.accessKeyId === marker);
    const pending = versionWithLabel(versions, Stage.PENDING);
    if (marked && !held.includes(marked.accessKeyId) && pending) {
      const [lastUse, all] = await Promise.all([ctx.gateway.lastUse(marked.accessKeyId), ctx.gateway.listVersions(secretArn)]);
      const attemptStartedAt = all.find((v) => v.versionId === pending)?.createdAt;
      if (provenOrphan({ markerId: marker, key: marked, heldKeyIds: held, lastUse, attemptStartedAt })) orphans.push(marked.accessKeyId);
    }
    const { release, foreign } = keysToRelease(keys, held, orphans);
    for (const key of release) {
      if (await ctx.gateway.deleteAccessKey(userName, key.accessKeyId)) {
        ctx.audit.record(EventType.DELETED, {
          secretArn,
          userName,
          accessKeyId: key.accessKeyId,
          wasActive: key.status === "Active",
          reason: `registration removed (${why})`
        });
      }
    }
    if (foreign.length > 0) {
      ctx.logger.warn("keys this library did not create were left on the user; CloudFormation cannot delete a user that has keys", {
        userName,
        accessKeyIds: foreign.map((k) => k.accessKeyId)
      });
    }
  }
  // ---- Custom::AccessKeyDepartures ---------------------------------------------------
  departures(event) {
    const list = (props) => {
      const v = props?.[DeparturesProperties.REGISTRATIONS];
      return Array.isArray(v) ? v.map(String) : [];
    };
    const gone = event.RequestType === "Update" ? departing(list(event.OldResourceProperties), list(event.ResourceProperties)) : { secretArns: [], userArns: [] };
    const [, partition, , region] = this.options.stackId.split(":");
    const account = accountOf(this.options.stackId);
    const data = {
      [DeparturesAttributes.USERS]: (gone.userArns.length ? gone.userArns : [placeholderUserArn(partition, account)]).join(","),
      [DeparturesAttributes.SECRETS]: (gone.secretArns.length ? gone.secretArns : [placeholderSecretArn(partition, region, account)]).join(",")
    };
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_RESPONSE_BYTES - 1e3) {
      throw new PublicError(`${gone.secretArns.length} registrations leave the stack in one deployment, more than CloudFormation's 4 KB answer can name; remove them over several deployments`);
    }
    this.ctx.logger.info("registrations departing", { secrets: gone.secretArns });
    return data;
  }
  // ---- answering -----------------------------------------------------------------------
  async respond(event, answer) {
    const body = responseBody({ ...answer, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
    await this.options.transport.put(event.ResponseURL, body);
  }
  async refused(where, reason) {
    const { ctx } = this;
    ctx.logger.error("custom resource event refused", { ...where, reason });
    ctx.audit.record(EventType.REFUSED, {
      secretArn: where.secretArn,
      stackId: where.stackId,
      reason: `CloudFormation-shaped ${where.requestType} of ${where.logicalId}: ${reason}`
    });
    await ctx.audit.flush().catch((e) => ctx.logger.error("audit events not delivered", { reason: describeError(e, ctx.redactor) }));
  }
};
var PublicError = class extends Error {
};
function rulesOf(source) {
  const s = source ?? {};
  const schedule = s.scheduleExpression ?? s[RotationProperties.SCHEDULE];
  const window = s.windowHours ?? s[RotationProperties.WINDOW];
  return {
    scheduleExpression: String(schedule ?? ""),
    ...window === void 0 || window === "" ? {} : { windowHours: Number(window) }
  };
}
function unqualified(functionArn) {
  return functionArn.split(":").slice(0, 7).join(":");
}

// src/rotation/lifecycle.ts
var import_promise_pool = __toESM(require_dist());

// src/rotation/state.ts
function lifecycleInput(registration, secret, keys) {
  const staged = stagedKeys(secret.versions);
  const previousHint = parsePreviousKeyHint(secret.tags);
  const subject = retirableKey({ config: registration, staged, previousHint });
  return {
    config: registration,
    staged,
    previousHint,
    progress: subject ? parseKeyProgress(secret.tags, subject) : {},
    hold: secret.tags[Tags.HOLD],
    keys
  };
}
async function readSecretState(gateway2, registration, now, options = {}) {
  const userName = userNameOf(registration.userArn);
  const [secret, keys] = await Promise.all([gateway2.describeSecret(registration.secretArn), gateway2.listAccessKeys(userName)]);
  const input = lifecycleInput(registration, secret, keys);
  const held = labelledKeys(secret.versions);
  const role = (id) => {
    if (id === input.staged.current) return "current";
    if (id === input.staged.pending) return "pending";
    if (id === retirableKey(input)) return "previous";
    return held.has(id) ? "older" : "foreign";
  };
  const states = await Promise.all(keys.map(async (k) => {
    const base = { accessKeyId: k.accessKeyId, status: k.status, createdAt: k.createdAt, role: role(k.accessKeyId) };
    if (!options.lastUsed) return base;
    const use = await gateway2.lastUse(k.accessKeyId);
    return use.gone ? base : { ...base, lastUsed: { at: use.at, service: use.service, region: use.region } };
  }));
  const retiring = retirableKey(input);
  const request = parseRevokeRequest(secret.tags);
  const state = {
    secretArn: registration.secretArn,
    userName,
    keys: states,
    hold: secret.tags[Tags.HOLD],
    revokeRequestedAt: request instanceof Date ? request : void 0,
    retiring: retiring ? { accessKeyId: retiring, supersededAt: supersededAt(input, retiring) } : void 0,
    next: planLifecycle(input, now)
  };
  return { state, secret, input };
}

// src/rotation/lifecycle.ts
var Lifecycle = class {
  constructor(ctx, concurrency2 = 4) {
    this.ctx = ctx;
    this.concurrency = concurrency2;
  }
  ctx;
  concurrency;
  /** One scheduled run. */
  async run() {
    const { ctx } = this;
    const now = ctx.clock();
    const registry = await ctx.registry.load();
    const zero = { secrets: 0, checkedUsage: 0, deactivated: 0, postponed: 0, deleted: 0, held: 0, recorded: 0, failed: 0 };
    const counts = { registered: registry.registrations.length, ...zero };
    const due = [];
    let elsewhere = 0;
    for await (const listed of ctx.gateway.listSecrets(SECRET_DESCRIPTION_PREFIX)) {
      const registration = registry.find(listed.arn);
      if (!registration) {
        elsewhere++;
        continue;
      }
      counts.secrets++;
      try {
        if (planLifecycle(lifecycleInput(registration, listed), now).kind !== "none") due.push([registration, listed]);
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    }
    await import_promise_pool.PromisePool.withConcurrency(this.concurrency).for(due).process(async ([registration]) => {
      try {
        const outcome = await this.transition(registration, now);
        if (outcome) counts[outcome]++;
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    });
    await ctx.audit.flush();
    ctx.logger.info("lifecycle run", { ...counts, notRegisteredHere: elsewhere, at: now.toISOString() });
    return counts;
  }
  failed(registration, e) {
    this.ctx.audit.record(EventType.LIFECYCLE_FAILED, {
      secretArn: registration.secretArn,
      userName: userNameOf(registration.userArn),
      owner: registration.owner,
      reason: describeError(e, this.ctx.redactor)
    });
  }
  /** Re-reads the secret and the user's keys (the listing may be minutes old) and carries out the transition due. */
  async transition(registration, now) {
    const { ctx } = this;
    const arn = registration.secretArn;
    const { state, secret, input } = await readSecretState(ctx.gateway, registration, now);
    const { userName, next: action } = state;
    if (action.kind === "none" || action.kind === "read") return void 0;
    const id = action.accessKeyId;
    const config = registration;
    const superseded = supersededAt(input, id);
    const { progress } = input;
    const detail = { secretArn: arn, userName, accessKeyId: id, owner: registration.owner };
    const save = (p) => ctx.gateway.tag(arn, formatKeyProgress(id, p));
    switch (action.kind) {
      case "forget":
        await this.forget(arn, secret.versions, id, progress, now);
        ctx.audit.record(EventType.DELETED, { ...detail, reason: "key was already gone (deleted outside the lifecycle)" });
        return "recorded";
      case "record-deactivation":
        await save({ ...progress, deactivatedAt: now, heldAt: void 0 });
        ctx.audit.record(EventType.DEACTIVATED, {
          ...detail,
          reason: `found inactive (made inactive outside the lifecycle${progress.heldAt ? ", then released" : ""}); deleted after ${formatSeconds(config.deleteAfterSeconds)}`
        });
        return "recorded";
      case "record-hold":
        await save({ ...progress, heldAt: now });
        ctx.audit.record(EventType.HELD, {
          ...detail,
          reason: `active again under the hold '${input.hold}'; when the hold is removed it is deactivated again and deleted ${formatSeconds(config.deleteAfterSeconds)} later`
        });
        return "held";
      case "check-usage": {
        const use = await ctx.gateway.lastUse(id);
        if (use.gone) return this.forgotten(arn, secret.versions, id, progress, now, detail);
        if (usedAfterPromotion(superseded, use.at)) {
          ctx.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: use.at.toISOString(),
            reason: `old key used at ${use.at.toISOString()}, after the new key was promoted at ${superseded.toISOString()}; it will be deactivated at ${deactivationDueAt(config, superseded).toISOString()}`
          });
        }
        await save({ ...progress, usageCheckedAt: now });
        return "checkedUsage";
      }
      case "deactivate": {
        const use = await ctx.gateway.lastUse(id);
        if (use.gone) return this.forgotten(arn, secret.versions, id, progress, now, detail);
        const plan = progress.heldAt || !superseded ? { kind: "deactivate", stillInUse: false } : planDeactivation(config, superseded, progress.usageCheckedAt, use.at, now);
        if (plan.kind === "postpone") {
          if (plan.warn) {
            ctx.audit.record(EventType.STILL_IN_USE, {
              ...detail,
              lastUsed: use.at.toISOString(),
              reason: `old key still used (last at ${use.at.toISOString()}); deactivation postponed, at the latest until ${plan.until.toISOString()}`
            });
            await save({ ...progress, usageCheckedAt: now });
          }
          return "postponed";
        }
        if (plan.stillInUse) {
          ctx.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: use.at.toISOString(),
            reason: `old key deactivated although it was used at ${use.at.toISOString()}, after the new key was promoted`
          });
        }
        if (!await ctx.gateway.setAccessKeyStatus(userName, id, INACTIVE)) return this.forgotten(arn, secret.versions, id, progress, now, detail);
        await save({ ...progress, deactivatedAt: now, heldAt: void 0 });
        ctx.audit.record(EventType.DEACTIVATED, {
          ...detail,
          reason: progress.heldAt ? "deactivated again: the hold on it was released" : `grace period of ${formatSeconds(config.deactivateAfterSeconds)} after promotion ended`
        });
        return "deactivated";
      }
      case "hold": {
        const reason = `id=${id} found re-activated outside the lifecycle at ${now.toISOString()}`;
        await ctx.gateway.tag(arn, { [Tags.HOLD]: reason });
        await save({ ...progress, heldAt: now });
        ctx.audit.record(EventType.HELD, { ...detail, reason: `${reason}; remove tag ${Tags.HOLD} to resume` });
        return "held";
      }
      case "delete":
        await ctx.gateway.deleteAccessKey(userName, id);
        await this.forget(arn, secret.versions, id, progress, now);
        ctx.audit.record(EventType.DELETED, { ...detail, reason: `inactive for ${formatSeconds(config.deleteAfterSeconds)}`, wasActive: false });
        return "deleted";
      case "delete-revoked": {
        await ctx.gateway.deleteAccessKey(userName, id);
        await this.forget(arn, secret.versions, id, progress, now);
        const current = versionWithLabel(secret.versions, Stage.CURRENT);
        if (current) await ctx.gateway.removeLabel(arn, Stage.REVOKED_PREDECESSOR, current);
        ctx.audit.record(EventType.DELETED, {
          ...detail,
          wasActive: action.wasActive,
          reason: `emergency revoke: deleted at the first lifecycle run${action.wasActive ? "; it had been made active again, which a revoke does not allow" : ""}`
        });
        return "deleted";
      }
    }
  }
  async forgotten(arn, versions, id, progress, now, detail) {
    await this.forget(arn, versions, id, progress, now);
    this.ctx.audit.record(EventType.DELETED, { ...detail, reason: "key was already gone (deleted outside the lifecycle)" });
    return "recorded";
  }
  /**
   * Nothing left to retire: the version's key label goes, and the key's
   * progress says deleted. The previous-key record stays for the next
   * rotation to replace (a rotation running now may have just written it).
   */
  async forget(arn, versions, id, progress, now) {
    const version = labelledKeys(versions).get(id);
    if (version) await this.ctx.gateway.removeLabel(arn, id, version);
    await this.ctx.gateway.tag(arn, formatKeyProgress(id, { ...progress, deletedAt: now }));
  }
};

// src/rotation/steps.ts
var import_exponential_backoff = __toESM(require_backoff());

// src/rotation/context.ts
async function readCredentials(ctx, secretArn, stage, versionId) {
  const raw = await ctx.gateway.getSecretString(secretArn, stage, versionId);
  const creds = parseCredentials(raw, `${stage} version of ${secretArn}`);
  ctx.redactor.add(creds?.secretAccessKey);
  return creds;
}

// src/rotation/steps.ts
var STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"];
var DEFAULT_TEST_SECRET_RETRY = { attempts: 8, firstDelayMs: 1e3, maxDelayMs: 15e3 };
var KeyMismatchError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "KeyMismatchError";
  }
};
var RotationSteps = class {
  constructor(ctx, retry = DEFAULT_TEST_SECRET_RETRY) {
    this.ctx = ctx;
    this.retry = retry;
  }
  ctx;
  retry;
  /** Runs one step; on failure records a `Rotation Failed` event and rethrows a redacted error. */
  async run(event) {
    const { ctx } = this;
    const step = String(event.Step);
    const secretId = typeof event.SecretId === "string" ? event.SecretId : "";
    ctx.logger.info("rotation step", { step, secretId, token: event.ClientRequestToken });
    let registration;
    try {
      if (!STEPS.includes(step)) throw new ConfigurationError(`unknown rotation step '${step}'`);
      const token = event.ClientRequestToken;
      if (typeof token !== "string" || token.length < 32 || token.length > 64) {
        throw new ConfigurationError(`ClientRequestToken must be 32 to 64 characters, got '${String(token).slice(0, 80)}'`);
      }
      const registry = await ctx.registry.load();
      if (secretId.startsWith("arn:")) registration = registry.require(secretId);
      if (step === "setSecret") {
        registration ??= registry.require(secretId);
        ctx.logger.info("setSecret: nothing to set, IAM activates a key when it is created", { secretId });
        return;
      }
      const secret = await ctx.gateway.describeSecret(secretId);
      registration = registry.require(secret.arn);
      const stages = secret.versions[token];
      if (!stages) throw new ConfigurationError(`secret ${secret.arn} has no version ${token}`);
      if (step === "finishSecret") {
        await this.finishSecret(secret, token, registration);
      } else if (stages.includes(Stage.CURRENT)) {
        ctx.logger.info(`${step}: version is already AWSCURRENT`, { secretId: secret.arn, token });
      } else {
        requirePending(secret, token);
        if (step === "createSecret") await this.createSecret(secret, token, registration);
        else await this.testSecret(secret, token, registration);
      }
      await ctx.audit.flush();
    } catch (e) {
      const reason = describeError(e, ctx.redactor);
      ctx.audit.record(e instanceof RefusedError ? EventType.REFUSED : EventType.ROTATION_FAILED, {
        secretArn: registration?.secretArn ?? secretId,
        userName: registration ? userNameOf(registration.userArn) : void 0,
        owner: registration?.owner,
        accessKeyId: e.accessKeyIds?.join(" "),
        step,
        reason
      });
      ctx.logger.error("rotation step failed", { step, secretId, reason });
      await ctx.audit.flush().catch((flushError) => ctx.logger.error("audit events not delivered", { reason: describeError(flushError, ctx.redactor) }));
      throw new Error(`${step} failed for ${secretId}: ${reason}`);
    }
  }
  // ---- createSecret ----------------------------------------------------------------
  async createSecret(secret, token, registration) {
    const { ctx } = this;
    const userName = userNameOf(registration.userArn);
    const stored = keyOfVersion(secret.versions, token);
    if (stored) {
      ctx.logger.info("createSecret: pending key already stored", { secretId: secret.arn, accessKeyId: stored });
      return;
    }
    const staged = stagedKeys(secret.versions);
    const held = labelledKeys(secret.versions);
    const keys = await ctx.gateway.listAccessKeys(userName);
    const marker = parseCreatingMarker(secret.tags);
    const orphanKeyIds = [];
    const markedKey = keys.find((k) => k.accessKeyId === marker);
    if (markedKey && !held.has(markedKey.accessKeyId)) {
      const [lastUse, versions] = await Promise.all([ctx.gateway.lastUse(markedKey.accessKeyId), ctx.gateway.listVersions(secret.arn)]);
      const attemptStartedAt = versions.find((v) => v.versionId === token)?.createdAt;
      const evidence = { markerId: marker, key: markedKey, heldKeyIds: [...held.keys()], lastUse, attemptStartedAt };
      if (provenOrphan(evidence)) orphanKeyIds.push(markedKey.accessKeyId);
    }
    const plan = planCreate({
      userName,
      keys,
      currentKeyId: staged.current,
      previousKeyId: staged.previous,
      heldKeyIds: [...held.keys()],
      adoptingHint: secret.tags[Tags.ADOPTING] || void 0,
      previousHint: parsePreviousKeyHint(secret.tags)?.accessKeyId,
      orphanKeyIds,
      policy: registration.foreignKeyPolicy
    });
    if (plan.kind === "fail") throw Object.assign(new ConfigurationError(plan.reason), { accessKeyIds: plan.accessKeyIds });
    const detail = { secretArn: secret.arn, userName, owner: registration.owner };
    for (const d of plan.deletions) {
      await ctx.gateway.deleteAccessKey(userName, d.accessKeyId);
      ctx.audit.record(EventType.DELETED, { ...detail, accessKeyId: d.accessKeyId, reason: d.reason, wasActive: d.wasActive });
      const version = held.get(d.accessKeyId);
      if (version) await ctx.gateway.removeLabel(secret.arn, d.accessKeyId, version);
    }
    const now = ctx.clock();
    const request = parseRevokeRequest(secret.tags);
    const revoke = revokeRequested(request, now, REVOKE_REQUEST_TTL_SECONDS);
    if (request !== void 0 && !revoke) {
      ctx.logger.warn("a revoke request was ignored: it is older than an hour, from the future, or malformed", { secretId: secret.arn, request: secret.tags[Tags.REVOKE] });
    }
    const created = await ctx.gateway.createAccessKey(userName);
    ctx.redactor.add(created.secretAccessKey);
    const value = {
      userName,
      accessKeyId: created.accessKeyId,
      secretAccessKey: created.secretAccessKey,
      createdAt: now.toISOString()
    };
    const labels = [Stage.PENDING, created.accessKeyId, ...revoke ? [Stage.REVOKED_PREDECESSOR] : []];
    try {
      await ctx.gateway.tag(secret.arn, {
        [Tags.CREATING]: formatCreatingMarker(created.accessKeyId, now),
        ...plan.adoptKeyId ? { [Tags.ADOPTING]: plan.adoptKeyId } : {}
      });
      ctx.audit.record(EventType.CREATED, {
        ...detail,
        accessKeyId: created.accessKeyId,
        reason: (staged.current ? `rotation replacing ${staged.current}` : "first key for this secret") + (revoke ? " (emergency revoke)" : ""),
        ...plan.adoptKeyId ? { adoptedAccessKeyId: plan.adoptKeyId } : {}
      });
      await ctx.audit.flush();
      await ctx.gateway.putPendingValue(secret.arn, token, JSON.stringify(value), labels);
    } catch (e) {
      await this.abandon(secret.arn, token, userName, created.accessKeyId);
      throw e;
    }
  }
  /**
   * The new key could not be stored (or its record or event written): while
   * still running, delete it unless the secret holds it after all, so a key
   * never outlives the attempt that made it unrecorded.
   */
  async abandon(secretArn, token, userName, accessKeyId) {
    const { ctx } = this;
    try {
      const now = await ctx.gateway.describeSecret(secretArn);
      if (keyOfVersion(now.versions, token) === accessKeyId) return;
      await ctx.gateway.deleteAccessKey(userName, accessKeyId);
      ctx.audit.record(EventType.DELETED, {
        secretArn,
        userName,
        accessKeyId,
        wasActive: true,
        reason: "the attempt that created it could not store it; it was never handed to anyone"
      });
    } catch (e) {
      ctx.logger.error("an unstored new key could not be deleted", { secretId: secretArn, accessKeyId, reason: describeError(e, ctx.redactor) });
    }
  }
  // ---- testSecret --------------------------------------------------------------------
  async testSecret(secret, token, registration) {
    const { ctx } = this;
    const labelled = keyOfVersion(secret.versions, token);
    if (!labelled) {
      ctx.logger.info("testSecret: the version holds no access key of this library: nothing to test", { secretId: secret.arn, token });
      return;
    }
    const pending = await readCredentials(ctx, secret.arn, Stage.PENDING, token);
    const userName = userNameOf(registration.userArn);
    if (pending?.accessKeyId !== labelled || pending.userName !== userName) {
      throw new RefusedError(`version ${token} of ${secret.arn} does not hold key ${labelled} of user ${userName}, as its label says`);
    }
    const account = accountOf(registration.userArn);
    const arn = await (0, import_exponential_backoff.backOff)(async () => {
      const actual = await ctx.gateway.callerArn(pending.accessKeyId, pending.secretAccessKey);
      if (accountOf(actual) !== account || !/:user\//.test(actual) || userNameOf(actual) !== userName) {
        throw new KeyMismatchError(`key ${pending.accessKeyId} signs as ${actual}, expected user ${userName} of account ${account}`);
      }
      return actual;
    }, {
      numOfAttempts: this.retry.attempts,
      startingDelay: this.retry.firstDelayMs,
      maxDelay: this.retry.maxDelayMs,
      timeMultiple: 2,
      jitter: "full",
      retry: (e, attempt) => {
        const retryable = e instanceof KeyNotAccepted || isNetworkError(e);
        ctx.logger.warn("testSecret: new key not usable yet", { accessKeyId: pending.accessKeyId, attempt, retryable, reason: describeError(e, ctx.redactor) });
        return retryable;
      }
    });
    ctx.logger.info("testSecret: new key works", { accessKeyId: pending.accessKeyId, callerArn: arn });
  }
  // ---- finishSecret ------------------------------------------------------------------
  async finishSecret(secret, token, registration) {
    const { ctx } = this;
    const userName = userNameOf(registration.userArn);
    const tokenLabels = secret.versions[token];
    const currentVersion = versionWithLabel(secret.versions, Stage.CURRENT);
    if (currentVersion !== token) requirePending(secret, token);
    const promoted = keyOfVersion(secret.versions, token);
    if (!promoted) throw new ConfigurationError(`finishSecret: version ${token} of ${secret.arn} holds no access key`);
    let old;
    if (currentVersion !== token) {
      old = keyOfVersion(secret.versions, currentVersion);
      await ctx.gateway.moveLabel(secret.arn, Stage.CURRENT, token, currentVersion);
    } else {
      old = stagedKeys(secret.versions).previous;
    }
    const labelledOld = old;
    if (tokenLabels.includes(Stage.PENDING)) await ctx.gateway.removeLabel(secret.arn, Stage.PENDING, token);
    const adopting = secret.tags[Tags.ADOPTING];
    if (!old && adopting && adopting !== promoted && registration.foreignKeyPolicy === "ADOPT" /* ADOPT */) {
      if ((await ctx.gateway.listAccessKeys(userName)).some((k) => k.accessKeyId === adopting)) old = adopting;
    }
    const stateDone = currentVersion === token && parseCurrentKeyHint(secret.tags) === promoted;
    const leftovers = [Tags.CREATING, Tags.ADOPTING, Tags.REVOKE].filter((t) => secret.tags[t] !== void 0);
    const revoke = tokenLabels.includes(Stage.REVOKED_PREDECESSOR) && old !== void 0;
    if (stateDone && leftovers.length === 0 && !revoke) return;
    const now = ctx.clock();
    const detail = { secretArn: secret.arn, userName, owner: registration.owner };
    const tags = { [Tags.CURRENT_KEY]: encodeFields({ "id": promoted, "promoted-at": now.toISOString() }) };
    if (!stateDone) {
      ctx.audit.record(EventType.PROMOTED, { ...detail, accessKeyId: promoted, previousAccessKeyId: old, reason: "new key is AWSCURRENT" });
      if (old) tags[Tags.PREVIOUS_KEY] = formatPreviousKey(old, now);
      else if (secret.tags[Tags.PREVIOUS_KEY] !== void 0) leftovers.push(Tags.PREVIOUS_KEY);
      leftovers.push(...Object.keys(secret.tags).filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX) && t !== keyProgressTag(old ?? "")));
    }
    if (revoke && old) {
      const existed = await ctx.gateway.setAccessKeyStatus(userName, old, INACTIVE);
      Object.assign(tags, formatKeyProgress(old, { deactivatedAt: now }));
      const when = old === labelledOld ? "deleted at the next lifecycle run" : `deleted ${formatSeconds(registration.deleteAfterSeconds)} later (an adopted key)`;
      ctx.audit.record(EventType.REVOKED, {
        ...detail,
        accessKeyId: old,
        reason: existed ? `emergency revoke: deactivated at once, ${when}` : "emergency revoke: key was already gone"
      });
    }
    await ctx.audit.flush();
    await ctx.gateway.tag(secret.arn, tags);
    if (leftovers.length > 0) await ctx.gateway.untag(secret.arn, leftovers);
  }
};
function requirePending(secret, token) {
  if (!secret.versions[token].includes(Stage.PENDING)) {
    throw new ConfigurationError(`version ${token} of ${secret.arn} is not AWSPENDING (stages: ${secret.versions[token].join(", ") || "none"})`);
  }
}
function isNetworkError(e) {
  const code = e.code;
  return code === "ECONNRESET" || code === "ETIMEDOUT" || code === "ECONNREFUSED";
}

// src/rotation/rotator.ts
var Rotator = class {
  ctx;
  steps;
  lifecycleRun;
  customResources;
  functionName;
  constructor(options) {
    const redactor = new Redactor();
    const logger = new Logger(options.logSink, redactor);
    this.ctx = {
      gateway: options.gateway,
      clock: options.clock,
      registry: options.registry,
      redactor,
      logger,
      audit: new AuditTrail(options.gateway, logger, redactor, options.eventBusName ?? "default", options.clock)
    };
    this.steps = new RotationSteps(this.ctx, options.testSecretRetry);
    this.lifecycleRun = new Lifecycle(this.ctx, options.lifecycleConcurrency ?? Defaults.lifecycleConcurrency);
    this.functionName = options.functionName;
    this.customResources = new CustomResources(this.ctx, {
      stackId: options.stackId ?? "",
      transport: options.responseTransport ?? fetchTransport,
      ...options.customResources
    });
  }
  /** One of Secrets Manager's four rotation steps; a failed or refused step counts in `RotationFailures`. */
  async rotationStep(event) {
    try {
      await this.steps.run(event);
    } catch (e) {
      await this.countFailures(Metrics.ROTATION_FAILURES, 1);
      throw e;
    }
  }
  /** One scheduled lifecycle run over this stack's registrations; the secrets it failed on count in `LifecycleFailures`. */
  async lifecycle() {
    let summary;
    try {
      summary = await this.lifecycleRun.run();
    } catch (e) {
      await this.countFailures(Metrics.LIFECYCLE_FAILURES, 1);
      throw e;
    }
    if (summary.failed > 0) await this.countFailures(Metrics.LIFECYCLE_FAILURES, summary.failed);
    return summary;
  }
  /** Puts a failure count; a metric that cannot be put is logged, never in the way of the failure itself. */
  async countFailures(metric, count) {
    if (!this.functionName) return;
    try {
      await this.ctx.gateway.putMetric(metric, count, { [Metrics.DIMENSION]: this.functionName });
    } catch (e) {
      this.ctx.logger.warn("could not put the failure metric", { metric, count, error: describeError(e, this.ctx.redactor) });
    }
  }
  /** A CloudFormation custom resource event for this stack's rotation or departures resources. */
  customResource(event, functionArn) {
    return this.customResources.handle(event, functionArn);
  }
  /** An error's text, safe for a log line or a reply: any secret it carries is redacted. */
  describe(e) {
    return describeError(e, this.ctx.redactor);
  }
};

// src/rotation/rotation.lambda.ts
var env = process.env;
var gateway = new AwsGateway(defaultClients(env.AWS_REGION));
var concurrency = Number(env[Env.LIFECYCLE_CONCURRENCY]);
var { min, max } = Limits.lifecycleConcurrency;
var rotator = new Rotator({
  gateway,
  clock: () => /* @__PURE__ */ new Date(),
  logSink: { write: (line) => console.log(line) },
  eventBusName: env[Env.EVENT_BUS_NAME],
  lifecycleConcurrency: Number.isInteger(concurrency) && concurrency >= min && concurrency <= max ? concurrency : Defaults.lifecycleConcurrency,
  registry: new StackRegistrySource(gateway, {
    stackId: env[Env.STACK_ID] ?? "",
    logicalId: env[Env.REGISTRY_RESOURCE] ?? "",
    digest: env[Env.REGISTRY_DIGEST] ?? ""
  }),
  stackId: env[Env.STACK_ID],
  functionName: env.AWS_LAMBDA_FUNCTION_NAME
});
async function handler(event, context) {
  if (typeof event !== "object" || event === null) throw new Error(`unknown event: expected an object, got ${typeof event}`);
  if ("Step" in event) return rotator.rotationStep(event);
  if ("RequestType" in event) return rotator.customResource(event, context.invokedFunctionArn);
  if ("action" in event && event.action === LIFECYCLE_ACTION) {
    const summary = await rotator.lifecycle();
    if (summary.failed > 0) throw new Error(`lifecycle: ${summary.failed} secret(s) failed; see the 'Access Key Lifecycle Failed' events`);
    return summary;
  }
  throw new Error(`unknown event: expected a Secrets Manager rotation step, {"action": "lifecycle"} or a CloudFormation custom resource event; got keys ${Object.keys(event).join(", ")}`);
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});

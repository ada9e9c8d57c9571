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
      useConcurrency(concurrency) {
        if (!this.isValidConcurrency(concurrency)) {
          throw validation_error_1.ValidationError.createFrom(`"concurrency" must be a number, 1 or up. Received "${concurrency}" (${typeof concurrency})`);
        }
        this.meta.concurrency = concurrency;
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
      isValidConcurrency(concurrency) {
        return typeof concurrency === "number" && concurrency >= 1;
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
      withConcurrency(concurrency) {
        this.concurrency = concurrency;
        return this;
      }
      /**
       * Set the number of tasks to process concurrently in the promise pool.
       */
      static withConcurrency(concurrency) {
        return new this().withConcurrency(concurrency);
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

// src/rotation/model.ts
var TAG_PREFIX = "access-key-rotation:";
var Tags = {
  /** The IAM user whose keys the secret holds. Its presence marks a managed secret. */
  USER: `${TAG_PREFIX}user`,
  /** Seconds the previous key stays active after the new one is promoted. */
  DEACTIVATE_AFTER: `${TAG_PREFIX}deactivate-after-seconds`,
  /** Seconds an inactive previous key is kept before it is deleted. */
  DELETE_AFTER: `${TAG_PREFIX}delete-after-seconds`,
  /** Opt-in: seconds deactivation may be postponed while the old key is still used (0: never). */
  POSTPONE_WHILE_IN_USE: `${TAG_PREFIX}postpone-while-in-use-seconds`,
  /** A `ForeignKeyPolicy` value. */
  FOREIGN_KEYS: `${TAG_PREFIX}foreign-keys`,
  /** Written by the function: the key in AWSCURRENT and when it was created. */
  CURRENT_KEY: `${TAG_PREFIX}current-key`,
  /** Written by the rotation: the superseded key and when it was superseded. */
  PREVIOUS_KEY: `${TAG_PREFIX}previous-key`,
  /**
   * Prefix of the tag, one per old key, where the lifecycle records its
   * progress (`key/<access key id>`). Kept apart from PREVIOUS_KEY so that a
   * lifecycle run and a rotation never overwrite each other's writes.
   */
  KEY_PROGRESS_PREFIX: `${TAG_PREFIX}key/`,
  /** Written by the function while it creates a key: the keys that existed before. */
  CREATING: `${TAG_PREFIX}creating`,
  /** Written by the function under `ForeignKeyPolicy.ADOPT`: the hand-made key it took over. */
  ADOPTING: `${TAG_PREFIX}adopting`,
  /** Operator hold: while present, the lifecycle leaves the previous key as it is. */
  HOLD: `${TAG_PREFIX}hold`,
  /** Emergency revoke requested: the next finishSecret deactivates the old key at once. */
  REVOKE: `${TAG_PREFIX}revoke`
};
var Stage = {
  CURRENT: "AWSCURRENT",
  PENDING: "AWSPENDING",
  PREVIOUS: "AWSPREVIOUS"
};
var DEFAULT_DEACTIVATE_AFTER_SECONDS = 7 * 86400;
var DEFAULT_DELETE_AFTER_SECONDS = 14 * 86400;
var ACTIVE = "Active";
var INACTIVE = "Inactive";
var ConfigurationError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "ConfigurationError";
  }
};
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
function parseDate(tag, field, value) {
  if (value === void 0) return void 0;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new ConfigurationError(`tag ${tag}: field ${field} must be an ISO-8601 time, got '${value}'`);
  }
  return d;
}
function parseSeconds(tags, tag, fallback) {
  const raw = tags[tag];
  if (raw === void 0) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new ConfigurationError(`tag ${tag} must be a whole number of seconds, got '${raw}'`);
  }
  return n;
}
function parseConfig(tags) {
  const userName = tags[Tags.USER];
  if (!userName) {
    throw new ConfigurationError(`tag ${Tags.USER} must name the IAM user whose keys the secret holds, got '${userName ?? ""}'`);
  }
  const policy = tags[Tags.FOREIGN_KEYS] ?? "FAIL" /* FAIL */;
  if (!Object.values(ForeignKeyPolicy).includes(policy)) {
    throw new ConfigurationError(
      `tag ${Tags.FOREIGN_KEYS} must be one of ${Object.values(ForeignKeyPolicy).join(", ")}, got '${policy}'`
    );
  }
  return {
    userName,
    deactivateAfterSeconds: parseSeconds(tags, Tags.DEACTIVATE_AFTER, DEFAULT_DEACTIVATE_AFTER_SECONDS),
    deleteAfterSeconds: parseSeconds(tags, Tags.DELETE_AFTER, DEFAULT_DELETE_AFTER_SECONDS),
    postponeWhileInUseSeconds: parseSeconds(tags, Tags.POSTPONE_WHILE_IN_USE, 0),
    foreignKeyPolicy: policy
  };
}
function keyProgressTag(accessKeyId) {
  return `${Tags.KEY_PROGRESS_PREFIX}${accessKeyId}`;
}
function parsePreviousKey(tags) {
  const raw = tags[Tags.PREVIOUS_KEY];
  if (!raw) return void 0;
  const f = decodeFields(raw);
  const supersededAt = parseDate(Tags.PREVIOUS_KEY, "superseded-at", f["superseded-at"]);
  if (!f.id || !supersededAt) {
    throw new ConfigurationError(`tag ${Tags.PREVIOUS_KEY} must hold id= and superseded-at=, got '${raw}'`);
  }
  const progressTag = keyProgressTag(f.id);
  const p = decodeFields(tags[progressTag]);
  return {
    accessKeyId: f.id,
    supersededAt,
    deactivatedAt: parseDate(progressTag, "deactivated-at", p["deactivated-at"]),
    deletedAt: parseDate(progressTag, "deleted-at", p["deleted-at"]),
    usageCheckedAt: parseDate(progressTag, "usage-checked-at", p["usage-checked-at"])
  };
}
function formatPreviousKey(state) {
  return encodeFields({ "id": state.accessKeyId, "superseded-at": state.supersededAt.toISOString() });
}
function keyProgress(state) {
  return {
    [keyProgressTag(state.accessKeyId)]: encodeFields({
      "usage-checked-at": state.usageCheckedAt?.toISOString(),
      "deactivated-at": state.deactivatedAt?.toISOString(),
      "deleted-at": state.deletedAt?.toISOString()
    })
  };
}
function parseCurrentKeyId(tags) {
  return decodeFields(tags[Tags.CURRENT_KEY]).id;
}
function parseCreatingMarker(tags) {
  const raw = tags[Tags.CREATING];
  if (raw === void 0) return void 0;
  const f = decodeFields(raw);
  return {
    knownKeyIds: (f.known ?? "").split("/").filter(Boolean),
    since: parseDate(Tags.CREATING, "since", f.since) ?? /* @__PURE__ */ new Date(0)
  };
}
function formatCreatingMarker(marker) {
  return `known=${marker.knownKeyIds.join("/")} since=${marker.since.toISOString()}`;
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
function versionWithStage(versions, stage) {
  return Object.keys(versions).find((id) => versions[id].includes(stage));
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

// src/rotation/aws.ts
function defaultClients(region) {
  const common = { region, retryMode: "adaptive", maxAttempts: 8 };
  return {
    iam: new import_client_iam.IAMClient(common),
    secretsManager: new import_client_secrets_manager.SecretsManagerClient(common),
    eventBridge: new import_client_eventbridge.EventBridgeClient(common),
    region
  };
}
function toTagMap(tags) {
  const out = {};
  for (const t of tags ?? []) if (t.Key !== void 0) out[t.Key] = t.Value ?? "";
  return out;
}
function errorName(e) {
  return e?.name;
}
var AwsGateway = class {
  constructor(clients) {
    this.clients = clients;
  }
  clients;
  // ---- Secrets Manager -------------------------------------------------
  async describeSecret(secretId) {
    const out = await this.clients.secretsManager.send(new import_client_secrets_manager.DescribeSecretCommand({ SecretId: secretId }));
    return {
      arn: out.ARN,
      name: out.Name,
      rotationLambdaArn: out.RotationLambdaARN || void 0,
      tags: toTagMap(out.Tags),
      versions: out.VersionIdsToStages ?? {}
    };
  }
  /** The value of a version; `undefined` when the version has no value (Secrets Manager's pending placeholder). */
  async getSecretString(secretId, stage, versionId) {
    try {
      const out = await this.clients.secretsManager.send(new import_client_secrets_manager.GetSecretValueCommand({
        SecretId: secretId,
        VersionStage: stage,
        VersionId: versionId
      }));
      return out.SecretString;
    } catch (e) {
      if (errorName(e) === "ResourceNotFoundException") return void 0;
      throw e;
    }
  }
  async putPendingValue(secretId, token, value) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: value,
      VersionStages: ["AWSPENDING"]
    }));
  }
  async moveStage(secretId, stage, toVersionId, fromVersionId) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: stage,
      MoveToVersionId: toVersionId,
      RemoveFromVersionId: fromVersionId
    }));
  }
  async removeStage(secretId, stage, fromVersionId) {
    await this.clients.secretsManager.send(new import_client_secrets_manager.UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: stage,
      RemoveFromVersionId: fromVersionId
    }));
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
  /**
   * Starts a rotation now with the secret's rotation function (Secrets Manager
   * then calls its four steps); returns the new version's token.
   */
  async rotateNow(secretId, rotationLambdaArn) {
    const out = await this.clients.secretsManager.send(new import_client_secrets_manager.RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: rotationLambdaArn,
      RotateImmediately: true
    }));
    return out.VersionId;
  }
  /** Every secret this library manages (tagged with the user), following every page. */
  async *listManagedSecrets() {
    const pages = (0, import_client_secrets_manager.paginateListSecrets)({ client: this.clients.secretsManager, pageSize: 100 }, {
      Filters: [{ Key: "tag-key", Values: [Tags.USER] }]
    });
    for await (const page of pages) {
      for (const s of page.SecretList ?? []) {
        const tags = toTagMap(s.Tags);
        if (tags[Tags.USER] === void 0) continue;
        yield { arn: s.ARN, tags, versions: s.SecretVersionsToStages ?? {} };
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
  /** The only call that ever returns a secret access key. */
  async createAccessKey(userName) {
    const out = await this.clients.iam.send(new import_client_iam.CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: out.AccessKey.AccessKeyId, secretAccessKey: out.AccessKey.SecretAccessKey };
  }
  async setAccessKeyStatus(userName, accessKeyId, status) {
    await this.clients.iam.send(new import_client_iam.UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }));
  }
  /** Deletes a key; `false` when it was already gone. */
  async deleteAccessKey(userName, accessKeyId) {
    try {
      await this.clients.iam.send(new import_client_iam.DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
      return true;
    } catch (e) {
      if (errorName(e) === "NoSuchEntityException") return false;
      throw e;
    }
  }
  async accessKeyLastUsed(accessKeyId) {
    const out = await this.clients.iam.send(new import_client_iam.GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    return out.AccessKeyLastUsed?.LastUsedDate;
  }
  async userArn(userName) {
    const out = await this.clients.iam.send(new import_client_iam.GetUserCommand({ UserName: userName }));
    return out.User.Arn;
  }
  // ---- STS ------------------------------------------------------------
  /** Who AWS says a key pair is: proves the key works. One attempt; the caller retries. */
  async callerArn(accessKeyId, secretAccessKey) {
    const sts = new import_client_sts.STSClient({ region: this.clients.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    try {
      const out = await sts.send(new import_client_sts.GetCallerIdentityCommand({}));
      return out.Arn;
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
};

// src/rotation/custom-resource.ts
var REMOVAL_PHYSICAL_ID = "access-key-removal";
function secretsToRelease(event) {
  const secretsOf = (props) => props?.Secrets ?? [];
  switch (event.RequestType) {
    case "Create":
      return [];
    case "Update": {
      const kept = new Set(secretsOf(event.ResourceProperties));
      return secretsOf(event.OldResourceProperties).filter((s) => !kept.has(s));
    }
    case "Delete":
      return secretsOf(event.ResourceProperties);
  }
}
async function respond(event, status, reason) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 3e3),
    PhysicalResourceId: REMOVAL_PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId
  });
  const res = await fetch(event.ResponseURL, { method: "PUT", body, headers: { "content-type": "" } });
  if (!res.ok) throw new Error(`CloudFormation did not accept the response: HTTP ${res.status}`);
}

// src/rotation/rotation.ts
var import_promise_pool = __toESM(require_dist());
var import_exponential_backoff = __toESM(require_backoff());

// src/rotation/audit.ts
var EVENT_SOURCE = "cdk-rotating-access-keys";
var EventType = {
  CREATED: "Access Key Created",
  PROMOTED: "Access Key Promoted",
  DEACTIVATED: "Access Key Deactivated",
  DELETED: "Access Key Deleted",
  REVOKED: "Access Key Revoked",
  STILL_IN_USE: "Access Key Still In Use",
  HELD: "Access Key Held",
  ROTATION_FAILED: "Access Key Rotation Failed",
  LIFECYCLE_FAILED: "Access Key Lifecycle Failed"
};
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
      Resources: [detail.secretArn],
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

// src/rotation/decide.ts
var MAX_KEYS_PER_USER = 2;
function planCreate(input) {
  const isActive = (k) => k.status === ACTIVE;
  const owned = /* @__PURE__ */ new Set([...input.previousKeyIds, ...input.adoptingKeyId ? [input.adoptingKeyId] : []]);
  if (input.currentKeyId) owned.add(input.currentKeyId);
  const deletions = [];
  const foreign = [];
  for (const key of input.keys) {
    if (owned.has(key.accessKeyId)) continue;
    if (input.marker && !input.marker.knownKeyIds.includes(key.accessKeyId)) {
      deletions.push({
        accessKeyId: key.accessKeyId,
        reason: "orphan: created by an interrupted rotation attempt and never stored",
        wasActive: isActive(key)
      });
    } else {
      foreign.push(key);
    }
  }
  let adoptKeyId = input.adoptingKeyId;
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
  const sacrificable = remaining.filter((k) => k.accessKeyId !== input.currentKeyId).sort((a, b) => rank(a.accessKeyId) - rank(b.accessKeyId));
  function rank(id) {
    if (input.previousKeyIds.includes(id)) return 0;
    return 1;
  }
  while (remaining.length >= MAX_KEYS_PER_USER) {
    const victim = sacrificable.shift();
    if (victim && victim.accessKeyId === adoptKeyId && victim.accessKeyId !== input.adoptingKeyId && isActive(victim)) {
      return {
        kind: "fail",
        reason: `user ${input.userName} has no free access key slot: adopting the active key ${victim.accessKeyId} would mean deleting it at once; deactivate it first (it is then deleted to make room)`,
        accessKeyIds: [victim.accessKeyId]
      };
    }
    if (!victim) {
      return { kind: "fail", reason: `user ${input.userName} has no free access key slot`, accessKeyIds: remaining.map((k) => k.accessKeyId) };
    }
    deletions.push({
      accessKeyId: victim.accessKeyId,
      reason: "superseded key deleted to make room for the new key (IAM allows two per user)",
      wasActive: isActive(victim)
    });
    remaining.splice(remaining.indexOf(victim), 1);
    if (victim.accessKeyId === adoptKeyId) adoptKeyId = void 0;
  }
  return {
    kind: "create",
    deletions,
    remainingKeyIds: remaining.map((k) => k.accessKeyId),
    adoptKeyId
  };
}
var MS = 1e3;
var DAY_MS = 86400 * MS;
function deactivationDueAt(config, previous) {
  return new Date(previous.supersededAt.getTime() + config.deactivateAfterSeconds * MS);
}
function usageCheckAt(config, previous) {
  return new Date(previous.supersededAt.getTime() + config.deactivateAfterSeconds * MS / 2);
}
function deletionDueAt(config, previous) {
  if (!previous.deactivatedAt) return void 0;
  return new Date(previous.deactivatedAt.getTime() + config.deleteAfterSeconds * MS);
}
function planLifecycle(input, now) {
  const { previous, config } = input;
  if (!previous) return { kind: "none", reason: "no previous key" };
  if (previous.deletedAt) return { kind: "none", reason: "previous key deleted" };
  if (previous.accessKeyId === input.currentKeyId) {
    return { kind: "none", reason: `previous key ${previous.accessKeyId} is the current key; nothing to retire` };
  }
  if (input.hold !== void 0) {
    const heldKey = decodeFields(input.hold).id;
    if (heldKey === void 0 || heldKey === previous.accessKeyId) return { kind: "none", reason: `held: ${input.hold}` };
  }
  if (!previous.deactivatedAt) {
    const due = deactivationDueAt(config, previous);
    if (now >= due) return { kind: "deactivate", accessKeyId: previous.accessKeyId };
    const checkAt = usageCheckAt(config, previous);
    if (now >= checkAt && !previous.usageCheckedAt) return { kind: "check-usage", accessKeyId: previous.accessKeyId };
    return { kind: "none", reason: "grace period", nextAt: previous.usageCheckedAt || now >= checkAt ? due : checkAt };
  }
  const deleteAt = deletionDueAt(config, previous);
  if (now >= deleteAt) return { kind: "delete", accessKeyId: previous.accessKeyId };
  return { kind: "none", reason: "inactive, retained", nextAt: deleteAt };
}
function usedAfterPromotion(previous, lastUsed) {
  return lastUsed !== void 0 && lastUsed > previous.supersededAt;
}
function planDeactivation(config, previous, lastUsed, now) {
  const inUse = usedAfterPromotion(previous, lastUsed);
  const limit = new Date(deactivationDueAt(config, previous).getTime() + config.postponeWhileInUseSeconds * MS);
  if (inUse && now < limit) {
    const warn = !previous.usageCheckedAt || now.getTime() - previous.usageCheckedAt.getTime() >= DAY_MS;
    return { kind: "postpone", until: limit, warn };
  }
  return { kind: "deactivate", stillInUse: inUse };
}

// src/rotation/rotation.ts
var DEFAULT_TEST_SECRET_RETRY = { attempts: 8, firstDelayMs: 1e3, maxDelayMs: 15e3 };
var GONE = /* @__PURE__ */ Symbol("gone");
var KeyMismatchError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "KeyMismatchError";
  }
};
var PROPAGATION_ERRORS = /* @__PURE__ */ new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied", "UnrecognizedClientException"]);
var Rotator = class {
  gateway;
  clock;
  redactor = new Redactor();
  logger;
  audit;
  retry;
  concurrency;
  constructor(options) {
    this.gateway = options.gateway;
    this.clock = options.clock;
    this.logger = new Logger(options.logSink, this.redactor);
    this.audit = new AuditTrail(options.gateway, this.logger, this.redactor, options.eventBusName ?? "default", options.clock);
    this.retry = options.testSecretRetry ?? DEFAULT_TEST_SECRET_RETRY;
    this.concurrency = options.lifecycleConcurrency ?? 4;
  }
  // ---- Secrets Manager's rotation protocol ----------------------------------
  /** Runs one step; on failure records a `Rotation Failed` event and rethrows a redacted error. */
  async rotationStep(event) {
    const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
    this.logger.info("rotation step", { step, secretId, token });
    let secret;
    try {
      secret = await this.gateway.describeSecret(secretId);
      const stages = secret.versions[token];
      if (!stages) throw new ConfigurationError(`secret ${secretId} has no version ${token}`);
      switch (step) {
        case "createSecret":
          await this.createSecret(secret, token);
          break;
        case "setSecret":
          this.logger.info("setSecret: nothing to set, IAM activates a key when it is created", { secretId });
          break;
        case "testSecret":
          await this.testSecret(secret, token);
          break;
        case "finishSecret":
          await this.finishSecret(secret, token);
          break;
        default:
          throw new ConfigurationError(`unknown rotation step '${String(step)}'`);
      }
      await this.audit.flush();
    } catch (e) {
      const reason = describeError(e, this.redactor);
      this.audit.record(EventType.ROTATION_FAILED, {
        secretArn: secret?.arn ?? secretId,
        userName: secret?.tags[Tags.USER],
        accessKeyId: e.accessKeyIds?.join(" "),
        step,
        reason
      });
      this.logger.error("rotation step failed", { step, secretId, reason });
      await this.audit.flush().catch((flushError) => this.logger.error("audit events not delivered", { reason: describeError(flushError, this.redactor) }));
      throw new Error(`${step} failed for ${secretId}: ${reason}`);
    }
  }
  async createSecret(secret, token) {
    const stages = secret.versions[token];
    if (stages.includes(Stage.CURRENT)) {
      this.logger.info("createSecret: version is already AWSCURRENT", { secretId: secret.arn, token });
      return;
    }
    requirePending(secret, token);
    const config = parseConfig(secret.tags);
    const marker = parseCreatingMarker(secret.tags);
    const stored = await this.readCredentials(secret, Stage.PENDING, token);
    if (stored) {
      this.logger.info("createSecret: pending key already stored", { secretId: secret.arn, accessKeyId: stored.accessKeyId });
      if (marker) {
        this.audit.record(EventType.CREATED, {
          secretArn: secret.arn,
          userName: config.userName,
          accessKeyId: stored.accessKeyId,
          reason: "created by an earlier attempt of this rotation"
        });
        await this.audit.flush();
        await this.gateway.untag(secret.arn, [Tags.CREATING]);
      }
      return;
    }
    const current = await this.readStage(secret, Stage.CURRENT);
    const previous = await this.readStage(secret, Stage.PREVIOUS);
    const previousState = parsePreviousKey(secret.tags);
    const previousKeyIds = [previous?.accessKeyId, previousState?.deletedAt ? void 0 : previousState?.accessKeyId].filter((id) => !!id);
    const keys = await this.gateway.listAccessKeys(config.userName);
    const plan = planCreate({
      userName: config.userName,
      keys,
      currentKeyId: current?.accessKeyId,
      previousKeyIds,
      adoptingKeyId: secret.tags[Tags.ADOPTING] || void 0,
      marker,
      policy: config.foreignKeyPolicy
    });
    if (plan.kind === "fail") {
      throw Object.assign(new ConfigurationError(plan.reason), { accessKeyIds: plan.accessKeyIds });
    }
    const now = this.clock();
    const tags = {};
    for (const d of plan.deletions) {
      await this.gateway.deleteAccessKey(config.userName, d.accessKeyId);
      this.audit.record(EventType.DELETED, {
        secretArn: secret.arn,
        userName: config.userName,
        accessKeyId: d.accessKeyId,
        reason: d.reason,
        wasActive: d.wasActive
      });
      if (previousState && d.accessKeyId === previousState.accessKeyId) {
        Object.assign(tags, keyProgress({ ...previousState, deletedAt: now }));
      }
    }
    tags[Tags.CREATING] = formatCreatingMarker({ knownKeyIds: plan.remainingKeyIds, since: now });
    if (plan.adoptKeyId) tags[Tags.ADOPTING] = plan.adoptKeyId;
    await this.gateway.tag(secret.arn, tags);
    const created = await this.gateway.createAccessKey(config.userName);
    this.redactor.add(created.secretAccessKey);
    const value = {
      userName: config.userName,
      accessKeyId: created.accessKeyId,
      secretAccessKey: created.secretAccessKey,
      createdAt: now.toISOString()
    };
    await this.gateway.putPendingValue(secret.arn, token, JSON.stringify(value));
    this.audit.record(EventType.CREATED, {
      secretArn: secret.arn,
      userName: config.userName,
      accessKeyId: created.accessKeyId,
      reason: current ? `rotation replacing ${current.accessKeyId}` : "first key for this secret",
      ...plan.adoptKeyId ? { adoptedAccessKeyId: plan.adoptKeyId } : {}
    });
    await this.audit.flush();
    await this.gateway.untag(secret.arn, [Tags.CREATING]);
  }
  async testSecret(secret, token) {
    if (secret.versions[token].includes(Stage.CURRENT)) return;
    requirePending(secret, token);
    const config = parseConfig(secret.tags);
    const pending = await this.readCredentials(secret, Stage.PENDING, token);
    if (!pending) throw new ConfigurationError(`testSecret: version ${token} of ${secret.arn} holds no access key`);
    const expected = await this.gateway.userArn(config.userName);
    const arn = await (0, import_exponential_backoff.backOff)(async () => {
      const actual = await this.gateway.callerArn(pending.accessKeyId, pending.secretAccessKey);
      if (actual !== expected) {
        throw new KeyMismatchError(`key ${pending.accessKeyId} signs as ${actual}, expected ${expected}`);
      }
      return actual;
    }, {
      numOfAttempts: this.retry.attempts,
      startingDelay: this.retry.firstDelayMs,
      maxDelay: this.retry.maxDelayMs,
      timeMultiple: 2,
      jitter: "full",
      retry: (e, attempt) => {
        const retryable = !(e instanceof KeyMismatchError) && (PROPAGATION_ERRORS.has(e.name) || isNetworkError(e));
        this.logger.warn("testSecret: new key not usable yet", {
          accessKeyId: pending.accessKeyId,
          attempt,
          retryable,
          reason: describeError(e, this.redactor)
        });
        return retryable;
      }
    });
    this.logger.info("testSecret: new key works", { accessKeyId: pending.accessKeyId, callerArn: arn });
  }
  async finishSecret(secret, token) {
    const config = parseConfig(secret.tags);
    const currentVersion = versionWithStage(secret.versions, Stage.CURRENT);
    const tokenStage = secret.versions[token].includes(Stage.PENDING) ? Stage.PENDING : Stage.CURRENT;
    if (tokenStage === Stage.CURRENT && currentVersion !== token) requirePending(secret, token);
    const promoted = await this.readCredentials(secret, tokenStage, token);
    if (!promoted) throw new ConfigurationError(`finishSecret: version ${token} of ${secret.arn} holds no access key`);
    let old;
    if (currentVersion !== token) {
      old = currentVersion ? await this.readStage(secret, Stage.CURRENT) : void 0;
      await this.gateway.moveStage(secret.arn, Stage.CURRENT, token, currentVersion);
    } else {
      old = await this.readStage(secret, Stage.PREVIOUS);
    }
    if (secret.versions[token].includes(Stage.PENDING)) {
      await this.gateway.removeStage(secret.arn, Stage.PENDING, token);
    }
    const revoking = secret.tags[Tags.REVOKE] !== void 0;
    const stateDone = parseCurrentKeyId(secret.tags) === promoted.accessKeyId;
    const leftovers = [Tags.CREATING, Tags.ADOPTING, Tags.REVOKE].filter((t) => secret.tags[t] !== void 0);
    if (stateDone && leftovers.length === 0) return;
    const now = this.clock();
    const previousKeyId = old?.accessKeyId ?? (secret.tags[Tags.ADOPTING] || void 0);
    const tags = {
      [Tags.CURRENT_KEY]: encodeFields({ "id": promoted.accessKeyId, "created-at": promoted.createdAt, "promoted-at": now.toISOString() })
    };
    if (!stateDone) {
      this.audit.record(EventType.PROMOTED, {
        secretArn: secret.arn,
        userName: config.userName,
        accessKeyId: promoted.accessKeyId,
        previousAccessKeyId: previousKeyId,
        reason: "new key is AWSCURRENT"
      });
      if (previousKeyId) {
        tags[Tags.PREVIOUS_KEY] = formatPreviousKey({ accessKeyId: previousKeyId, supersededAt: now });
      } else if (secret.tags[Tags.PREVIOUS_KEY] !== void 0) {
        leftovers.push(Tags.PREVIOUS_KEY);
      }
      leftovers.push(...Object.keys(secret.tags).filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX) && t !== keyProgressTag(previousKeyId ?? "")));
    }
    if (revoking && previousKeyId) {
      const existed = await this.deactivate(config.userName, previousKeyId);
      Object.assign(tags, keyProgress({
        accessKeyId: previousKeyId,
        supersededAt: now,
        deactivatedAt: now,
        deletedAt: existed ? void 0 : now
      }));
      this.audit.record(EventType.REVOKED, {
        secretArn: secret.arn,
        userName: config.userName,
        accessKeyId: previousKeyId,
        reason: existed ? "emergency revoke: deactivated at once, no grace period" : "emergency revoke: key was already gone"
      });
    }
    await this.audit.flush();
    await this.gateway.tag(secret.arn, tags);
    if (leftovers.length > 0) await this.gateway.untag(secret.arn, leftovers);
  }
  // ---- Emergency revoke -----------------------------------------------------
  /**
   * Rotates now and has finishSecret deactivate the old key at once. Returns
   * the new version's token (Secrets Manager then runs the four steps).
   */
  async revoke(secretId) {
    const secret = await this.gateway.describeSecret(secretId);
    parseConfig(secret.tags);
    if (!secret.rotationLambdaArn) {
      throw new ConfigurationError(`secret ${secret.arn} has no rotation function; revoke rotates through it`);
    }
    await this.gateway.tag(secret.arn, { [Tags.REVOKE]: encodeFields({ "requested-at": this.clock().toISOString() }) });
    this.logger.warn("emergency revoke requested", { secretId: secret.arn });
    return this.gateway.rotateNow(secret.arn, secret.rotationLambdaArn);
  }
  /** An error's text, safe for a log line or a reply: any secret it carries is redacted. */
  describe(e) {
    return describeError(e, this.redactor);
  }
  // ---- Removal ----------------------------------------------------------------
  /**
   * Deletes the keys this library manages for a secret's user, so that
   * CloudFormation can then delete the user (it cannot while keys remain).
   * Keys the library did not create are left alone and reported.
   */
  async deleteManagedKeys(secretId) {
    const secret = await this.gateway.describeSecret(secretId);
    const config = parseConfig(secret.tags);
    const owned = /* @__PURE__ */ new Set();
    for (const stage of [Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS]) {
      const creds = await this.readStage(secret, stage);
      if (creds) owned.add(creds.accessKeyId);
    }
    for (const id of [parseCurrentKeyId(secret.tags), parsePreviousKey(secret.tags)?.accessKeyId, secret.tags[Tags.ADOPTING]]) {
      if (id) owned.add(id);
    }
    const marker = parseCreatingMarker(secret.tags);
    const result = { deleted: [], foreign: [] };
    for (const key of await this.gateway.listAccessKeys(config.userName)) {
      const orphan = marker !== void 0 && !marker.knownKeyIds.includes(key.accessKeyId);
      if (!owned.has(key.accessKeyId) && !orphan) {
        result.foreign.push(key.accessKeyId);
        continue;
      }
      if (await this.gateway.deleteAccessKey(config.userName, key.accessKeyId)) {
        result.deleted.push(key.accessKeyId);
        this.audit.record(EventType.DELETED, {
          secretArn: secret.arn,
          userName: config.userName,
          accessKeyId: key.accessKeyId,
          reason: "removed with RemovalPolicy.DESTROY",
          wasActive: key.status === ACTIVE
        });
      }
    }
    if (result.foreign.length > 0) {
      this.logger.warn("keys this library did not create were left on the user; CloudFormation cannot delete a user with keys", {
        userName: config.userName,
        accessKeyIds: result.foreign
      });
    }
    await this.audit.flush();
    return result;
  }
  // ---- Lifecycle of the old key ---------------------------------------------
  /**
   * One scheduled run: decides every managed secret from ListSecrets' tags and
   * calls IAM only for the transitions that are due, a few at a time.
   */
  async lifecycle() {
    const now = this.clock();
    const counts = { secrets: 0, checkedUsage: 0, deactivated: 0, postponed: 0, deleted: 0, held: 0, failed: 0 };
    const due = [];
    for await (const secret of this.gateway.listManagedSecrets()) {
      counts.secrets++;
      try {
        if (planLifecycle(lifecycleInput(secret), now).kind !== "none") due.push(secret);
      } catch (e) {
        counts.failed++;
        this.lifecycleFailed(secret, e);
      }
    }
    await import_promise_pool.PromisePool.withConcurrency(this.concurrency).for(due).process(async (listed) => {
      try {
        const outcome = await this.transition(listed.arn, now);
        if (outcome) counts[outcome]++;
      } catch (e) {
        counts.failed++;
        this.lifecycleFailed(listed, e);
      }
    });
    await this.audit.flush();
    this.logger.info("lifecycle run", { ...counts, at: now.toISOString() });
    return counts;
  }
  lifecycleFailed(secret, e) {
    const reason = describeError(e, this.redactor);
    this.audit.record(EventType.LIFECYCLE_FAILED, {
      secretArn: secret.arn,
      userName: secret.tags[Tags.USER],
      accessKeyId: parsePreviousKeyId(secret),
      reason
    });
  }
  /** Re-reads the secret (the listing may be minutes old) and carries out its due transition. */
  async transition(arn, now) {
    const secret = await this.gateway.describeSecret(arn);
    const input = lifecycleInput(secret);
    const action = planLifecycle(input, now);
    const previous = input.previous;
    const { config } = input;
    const save = (state) => this.gateway.tag(arn, keyProgress(state));
    const detail = { secretArn: arn, userName: config.userName, accessKeyId: previous?.accessKeyId };
    switch (action.kind) {
      case "none":
        return void 0;
      case "check-usage": {
        const lastUsed = await this.lastUsedOrGone(previous.accessKeyId);
        if (lastUsed === GONE) return this.recordGone(arn, detail, previous, now);
        if (usedAfterPromotion(previous, lastUsed)) {
          this.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: lastUsed.toISOString(),
            reason: `old key used at ${lastUsed.toISOString()}, after the new key was promoted at ${previous.supersededAt.toISOString()}; it will be deactivated at ${deactivationDueAt(config, previous).toISOString()}`
          });
        }
        await save({ ...previous, usageCheckedAt: now });
        return "checkedUsage";
      }
      case "deactivate": {
        const lastUsed = await this.lastUsedOrGone(previous.accessKeyId);
        if (lastUsed === GONE) return this.recordGone(arn, detail, previous, now);
        const plan = planDeactivation(config, previous, lastUsed, now);
        if (plan.kind === "postpone") {
          if (plan.warn) {
            this.audit.record(EventType.STILL_IN_USE, {
              ...detail,
              lastUsed: lastUsed.toISOString(),
              reason: `old key still used (last at ${lastUsed.toISOString()}); deactivation postponed, at the latest until ${plan.until.toISOString()}`
            });
            await save({ ...previous, usageCheckedAt: now });
          }
          return "postponed";
        }
        if (plan.stillInUse) {
          this.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: lastUsed.toISOString(),
            reason: `old key deactivated although it was used at ${lastUsed.toISOString()}, after the new key was promoted`
          });
        }
        const existed = await this.deactivate(config.userName, previous.accessKeyId);
        await save({ ...previous, deactivatedAt: now, deletedAt: existed ? void 0 : now });
        this.audit.record(existed ? EventType.DEACTIVATED : EventType.DELETED, {
          ...detail,
          reason: existed ? `grace period of ${formatSeconds(config.deactivateAfterSeconds)} after promotion ended` : "key was already gone"
        });
        return existed ? "deactivated" : "deleted";
      }
      case "delete": {
        const key = (await this.gateway.listAccessKeys(config.userName)).find((k) => k.accessKeyId === previous.accessKeyId);
        if (key?.status === ACTIVE) {
          const reason = `id=${previous.accessKeyId} re-activated outside the lifecycle, found at ${now.toISOString()}`;
          await this.gateway.tag(arn, { [Tags.HOLD]: reason });
          this.audit.record(EventType.HELD, { ...detail, reason: `${reason}; remove tag ${Tags.HOLD} to resume` });
          return "held";
        }
        if (key) await this.gateway.deleteAccessKey(config.userName, key.accessKeyId);
        await save({ ...previous, deletedAt: now });
        this.audit.record(EventType.DELETED, {
          ...detail,
          reason: key ? `inactive for ${formatSeconds(config.deleteAfterSeconds)}` : "key was already gone"
        });
        return "deleted";
      }
    }
  }
  /** When the key was last used; GONE when it no longer exists (deleted outside the lifecycle). */
  async lastUsedOrGone(accessKeyId) {
    try {
      return await this.gateway.accessKeyLastUsed(accessKeyId);
    } catch (e) {
      if (e.name === "NoSuchEntityException") return GONE;
      throw e;
    }
  }
  /** Someone deleted the old key already: record it, so the lifecycle is done with it. */
  async recordGone(arn, detail, previous, now) {
    await this.gateway.tag(arn, keyProgress({ ...previous, deactivatedAt: previous.deactivatedAt ?? now, deletedAt: now }));
    this.audit.record(EventType.DELETED, { ...detail, reason: "key was already gone (deleted outside the lifecycle)" });
    return "deleted";
  }
  /** Sets a key inactive; `false` when it no longer exists. */
  async deactivate(userName, accessKeyId) {
    try {
      await this.gateway.setAccessKeyStatus(userName, accessKeyId, INACTIVE);
      return true;
    } catch (e) {
      if (e.name === "NoSuchEntityException") return false;
      throw e;
    }
  }
  // ---- reading the secret ---------------------------------------------------
  async readStage(secret, stage) {
    if (!versionWithStage(secret.versions, stage)) return void 0;
    return this.readCredentials(secret, stage);
  }
  async readCredentials(secret, stage, versionId) {
    const raw = await this.gateway.getSecretString(secret.arn, stage, versionId);
    const creds = parseCredentials(raw, `${stage} version of ${secret.arn}`);
    this.redactor.add(creds?.secretAccessKey);
    return creds;
  }
};
function requirePending(secret, token) {
  if (!secret.versions[token].includes(Stage.PENDING)) {
    throw new ConfigurationError(`version ${token} of ${secret.arn} is not AWSPENDING (stages: ${secret.versions[token].join(", ") || "none"})`);
  }
}
function lifecycleInput(secret) {
  return {
    config: parseConfig(secret.tags),
    previous: parsePreviousKey(secret.tags),
    currentKeyId: parseCurrentKeyId(secret.tags),
    hold: secret.tags[Tags.HOLD]
  };
}
function parsePreviousKeyId(secret) {
  try {
    return parsePreviousKey(secret.tags)?.accessKeyId;
  } catch {
    return void 0;
  }
}
function isNetworkError(e) {
  const code = e.code;
  return code === "ECONNRESET" || code === "ETIMEDOUT" || code === "ECONNREFUSED";
}

// src/rotation/rotation.lambda.ts
var rotator = new Rotator({
  gateway: new AwsGateway(defaultClients(process.env.AWS_REGION)),
  clock: () => /* @__PURE__ */ new Date(),
  logSink: { write: (line) => console.log(line) },
  eventBusName: process.env.EVENT_BUS_NAME,
  lifecycleConcurrency: process.env.LIFECYCLE_CONCURRENCY ? Number(process.env.LIFECYCLE_CONCURRENCY) : void 0
});
async function handler(event) {
  if ("Step" in event) return rotator.rotationStep(event);
  if ("RequestType" in event) return removal(event);
  switch (event.action) {
    case "lifecycle": {
      const summary = await rotator.lifecycle();
      if (summary.failed > 0) throw new Error(`lifecycle: ${summary.failed} secret(s) failed; see the 'Access Key Lifecycle Failed' events`);
      return summary;
    }
    case "revoke":
      return { versionId: await rotator.revoke(event.secretId) };
    default:
      throw new Error(`unknown event: expected a Secrets Manager rotation step, {"action": "lifecycle"} or {"action": "revoke", "secretId": ...}; got keys ${Object.keys(event).join(", ")}`);
  }
}
async function removal(event) {
  try {
    for (const secretId of secretsToRelease(event)) {
      const { deleted, foreign } = await rotator.deleteManagedKeys(secretId);
      console.log(JSON.stringify({ level: "INFO", message: "managed keys deleted", secretId, deleted, foreign }));
    }
    await respond(event, "SUCCESS", "managed access keys deleted");
  } catch (e) {
    const reason = rotator.describe(e);
    console.log(JSON.stringify({ level: "ERROR", message: "removal failed", reason }));
    await respond(event, "FAILED", reason);
  }
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});

// Command cleanup removes old files.
//
// <crontab>
//     time: @daily
//     params: --older-than 30d --pattern '*.tmp' --stamp %Y%m%d
//     comment: % in a comment is left alone
// </crontab>
package main
